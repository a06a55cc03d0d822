"""The reports: the page for a period, the printable annual report, its PDF, the CSV export.

The figures come from ``runner.reports.figures`` (aggregated in SQL); this module only gives them
labels in the reader's language, as tables that the page, the printable report and the PDF
all render, and draws the charts through ``runner.reports.charts``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from runner.accounts.users import READ_REPORTS
from runner.bpmn.errors import ValidationFailed
from runner.reports.charts import bar_chart
from runner.reports.document import Document, Table, render_pdf
from runner.reports.figures import AGE_BANDS, Compliance, Period, Report, Share

from .auth import requires, signed_in
from .display import label
from .extension import runner
from .i18n import long_date
from .messages import field_errors
from .register import STATUS_LABELS

bp = Blueprint("reports", __name__, url_prefix="/bemiddeling/rapporten")

COUNT, SHARE = _l("Aantal"), _l("Aandeel")
NONE = "\u2013"  # an en dash: no figure


@bp.get("")
@requires(READ_REPORTS)
def page() -> str | tuple[str, int]:
    return _render("rapporten.html")


@bp.get("/afdrukken")
@requires(READ_REPORTS)
def printable() -> str | tuple[str, int]:
    return _render("rapport_afdruk.html")


def _render(template: str) -> str | tuple[str, int]:
    try:
        period = _period()
    except ValidationFailed as error:
        return render_template("rapporten.html", errors=field_errors(error),
                               values=request.args, document=None), 400
    document = _document(runner().reports.report(signed_in(), period))
    return render_template(template, errors=[], document=document,
                           values={"van": period.first.isoformat(),
                                   "tot": period.last.isoformat()})


@bp.get("/rapport.pdf")
@requires(READ_REPORTS)
def pdf() -> ResponseReturnValue:
    def make(period: Period) -> Response:
        document = _document(runner().reports.report(signed_in(), period))
        return _attachment(render_pdf(document), "application/pdf", period, "pdf")

    return _download(make)


@bp.get("/dossiers.csv")
@requires(READ_REPORTS)
def export() -> ResponseReturnValue:
    """The pseudonymised rows behind the figures, streamed (no names, addresses or text)."""
    def make(period: Period) -> Response:
        rows = runner().reports.rows(signed_in(), period)
        return _attachment(stream_with_context(_csv_lines(rows)), "text/csv", period, "csv")

    return _download(make)


def _download(make: Callable[[Period], Response]) -> ResponseReturnValue:
    """A file for the requested period; a bad period gives the page with its error."""
    try:
        period = _period()
    except ValidationFailed:
        return _render("rapporten.html")
    return make(period)


def _attachment(body, mimetype: str, period: Period, extension: str) -> Response:
    name = f"klachten-{period.first.isoformat()}-{period.last.isoformat()}.{extension}"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _csv_lines(rows: Iterator[list[str]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _period() -> Period:
    return runner().reports.period(request.args.get("van", "")[:20],
                                   request.args.get("tot", "")[:20])


@bp.app_template_filter("grafiek")
def chart(table: Table) -> Markup:
    """The table's bar chart as inline SVG (escaped by ``runner.reports.charts``)."""
    return Markup(bar_chart(table.title, table.chart))


# ----- the figures as labelled tables
def _document(report: Report) -> Document:
    period = report.period
    title = (_l("Jaarverslag klachten %(year)s", year=period.calendar_year)
             if period.calendar_year else _l("Rapport klachten"))
    subtitle = _l("Dossiers ontvangen van %(first)s tot en met %(last)s; opgemaakt op "
                  "%(made)s.", first=long_date(period.first), last=long_date(period.last),
                  made=long_date(report.made_on))
    return Document(str(title), str(subtitle), str(get_locale() or "nl"), [
        _counts(_l("Ontvangen klachten per maand"), _l("Maand"), report.per_month),
        _counts(_l("Per categorie"), _l("Categorie"), _labelled(report.per_category, "categorie")),
        _counts(_l("Per kanaal"), _l("Kanaal"), _labelled(report.per_channel, "kanaal")),
        _admissibility(report),
        _counts(_l("Redenen van niet-ontvankelijkheid"), _l("Reden"),
                _labelled(report.inadmissible_reasons, "reden")),
        _counts(_l("Uitkomst van het gemotiveerd antwoord"), _l("Uitkomst"),
                _labelled(report.outcomes, "uitkomst")),
        _escalations(report),
        _deadlines(report),
        _lead_time(report),
        _open_dossiers(report),
        _counts(_l("Aanbevelingen per status (geregistreerd in de periode)"), _l("Status"),
                [(str(STATUS_LABELS.get(code, code)), n) for code, n in report.recommendations]),
    ], report.at, str(_l("Pagina {pagina} van {totaal}")))


def _labelled(rows: list[tuple[str, int]], kind: str) -> list[tuple[str, int]]:
    """Counts per code as counts per label (labels.json, in the page's language)."""
    return [(label(code, kind), n) for code, n in rows]


def _counts(title, label, rows: list[tuple[str, int]]) -> Table:
    return Table(str(title), [str(label), str(COUNT)],
                 [[value, str(n)] for value, n in rows], chart=rows)


def _percent(share: Share) -> str:
    return NONE if share.percent is None else f"{share.percent:.1f} %".replace(".", ",")


def _admissibility(report: Report) -> Table:
    share = report.admissible
    return Table(str(_l("Ontvankelijkheid")), ["", str(COUNT), str(SHARE)], [
        [str(_l("Ontvangen")), str(report.received), ""],
        [str(_l("Beslist over de ontvankelijkheid")), str(share.total), ""],
        [str(_l("Ontvankelijk")), str(share.count), _percent(share)],
        [str(_l("Niet ontvankelijk")), str(share.total - share.count),
         _percent(Share(share.total - share.count, share.total))],
    ])


def _escalations(report: Report) -> Table:
    share = report.escalated
    rows = [[str(_l("Gemotiveerde antwoorden")), str(share.total), ""],
            [str(_l("Niet akkoord: naar de nationale klachtenbemiddelaar")), str(share.count),
             _percent(share)]]
    outcomes = _labelled(report.national_outcomes, "uitkomst")
    rows += [[str(_l("Uitkomst nationaal: %(outcome)s", outcome=outcome)), str(n), ""]
             for outcome, n in outcomes]
    return Table(str(_l("Escalaties naar de nationale klachtenbemiddelaar")),
                 ["", str(COUNT), str(SHARE)], rows, chart=outcomes)


def _deadlines(report: Report) -> Table:
    def row(label, figures: Compliance) -> list[str]:
        return [str(label), str(figures.met), str(figures.missed), _percent(figures.share),
                str(figures.pending)]

    return Table(str(_l("Termijnen")), [
        str(_l("Termijn")), str(_l("Op tijd")), str(_l("Te laat")), str(_l("Op tijd (%)")),
        str(_l("Nog niet verstreken"))], [
        row(_l("Ontvangstmelding binnen de termijn"), report.acknowledgements),
        row(_l("Statusbericht binnen het interval"), report.status_updates),
        row(_l("Gemotiveerd antwoord binnen de streefdatum"), report.answers),
        row(_l("Antwoord nationale klachtenbemiddelaar binnen de streefdatum"),
            report.national_answers),
    ], note=str(_l("Gemeten aan de termijnregels van de procesversie waarop elk dossier "
                   "liep. Een statusinterval telt wanneer het afloopt.")))


def _lead_time(report: Report) -> Table:
    lead = report.lead_time

    def days(value: int | None) -> str:
        return NONE if value is None else str(value)

    return Table(str(_l("Doorlooptijd (dossiers afgesloten in de periode)")),
                 ["", str(_l("Dagen"))], [
        [str(_l("Afgesloten dossiers")), str(lead.closed)],
        [str(_l("Mediaan")), days(lead.median_days)],
        [str(_l("90e percentiel")), days(lead.p90_days)],
    ])


def _band(low: int, high: int | None) -> str:
    return str(_l("%(low)s tot %(high)s dagen", low=low, high=high) if high is not None
               else _l("meer dan %(days)s dagen", days=low - 1))


def _open_dossiers(report: Report) -> Table:
    headers = [str(_l("Stap")), *(_band(low, high) for low, high in AGE_BANDS),
               str(_l("Totaal"))]
    rows = [[label(step, "stap"), *map(str, counts), str(sum(counts))]
            for step, counts in report.open_by_step]
    return Table(str(_l("Open dossiers per stap en leeftijd (nu)")), headers, rows,
                 chart=[(row[0], int(row[-1])) for row in rows])
