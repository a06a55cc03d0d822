"""The ``klachten`` command line: drive the engine without the web UI.

Domain errors become one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import getpass
import json
import re
import signal
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from runner import settings
from runner.bpmn.errors import DatabaseUnavailable, RunnerError

if TYPE_CHECKING:  # the engine, the database and the PDF fonts load when a command runs
    from collections.abc import Callable

    from runner.results import DossierInfo, NoticeInfo
    from runner.service import Klachten

_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


class Duration(click.ParamType):
    """An ISO 8601 duration in weeks, days, hours, minutes, seconds (P21D, PT12H)."""

    name = "duur"

    def convert(self, value: Any, param, ctx) -> timedelta:
        match = _DURATION.match(str(value).upper())
        if not match or str(value).upper() in ("P", "PT"):
            self.fail(f"{value!r} is geen duur zoals P21D of PT12H", param, ctx)
        return timedelta(**{k: int(v) for k, v in match.groupdict().items() if v})


class Instant(click.ParamType):
    name = "tijdstip"

    def convert(self, value: Any, param, ctx) -> datetime:
        try:
            instant = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is geen ISO-tijdstip zoals 2026-03-02T09:00:00+01:00", param, ctx)
        if instant.tzinfo is None:
            self.fail(f"{value!r} heeft geen tijdzone (bv. +01:00 of Z)", param, ctx)
        return instant


class JsonFile(click.ParamType):
    name = "json-bestand"

    def convert(self, value: Any, param, ctx) -> dict:
        path = Path(value)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as err:
            self.fail(f"{value}: kan het bestand niet lezen ({err.strerror})", param, ctx)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            self.fail(f"{value}: geen geldige JSON ({err})", param, ctx)
        if not isinstance(data, dict):
            self.fail(f"{value}: verwacht een JSON-object", param, ctx)
        return data


def _klachten() -> Klachten:
    from runner.procedure import open_klachten

    klachten = open_klachten(settings.database_url(), clock=settings.current().clock)
    click.get_current_context().call_on_close(klachten.close)
    return klachten


def _out(value: Any, as_json: bool, text: str) -> None:
    from runner.results import to_json
    from runner.service import dumps

    click.echo(dumps(to_json(value)) if as_json else text)


class _Group(click.Group):
    """Turns domain and database errors into one line and exit code 1."""

    def invoke(self, ctx):
        from sqlalchemy.exc import OperationalError, ProgrammingError

        try:
            return super().invoke(ctx)
        except DatabaseUnavailable as err:
            raise _not_ready(str(err)) from err
        except RunnerError as err:
            raise click.ClickException(str(err)) from err
        except (OperationalError, ProgrammingError) as err:  # outside a runner transaction
            raise _not_ready(str(err.orig).splitlines()[0] if err.orig else str(err)) from err


def _not_ready(reason: str) -> click.ClickException:
    return click.ClickException(
        f"database niet bereikbaar of niet klaar ({reason}); probeer klachten init")


@click.group(cls=_Group)
def main() -> None:
    """klachten: de klachtenprocedure van het ziekenfonds, uitgevoerd vanuit BPMN."""
    settings.current()  # a mistake in klachten.cfg or KLACHTEN_* stops every command


_SOURCES = {"default": "standaard", "file": "klachten.cfg", "environment": "omgeving",
            "override": "opgegeven"}


@main.command("config")
@click.option("--json", "as_json", is_flag=True,
              help="Every setting as JSON: name, value, source and where.")
def config_command(as_json: bool) -> None:
    """Print the effective settings and where each came from.

    A setting comes from its default, klachten.cfg in the instance folder or the
    environment (KLACHTEN_*); secrets are masked."""
    config = settings.current()
    rows = settings.shown(config)
    if as_json:
        _out([row._asdict() for row in rows], True, "")
        return
    found = "gelezen" if config.instance_file.is_file() else "ontbreekt"
    click.echo(f"instellingenbestand: {config.instance_file} ({found})")
    width = max(len(row.name) for row in rows)
    for row in rows:
        source = _SOURCES[row.source]
        if row.source == "file":
            source += ":" + row.where.rpartition(":")[2]
        click.echo(f"{row.name:{width}}  {source:15} {row.value or '(leeg)'}")


@main.command()
def init() -> None:
    """Create or upgrade the database and deploy processes/.

    The schema is migrated to the latest version (Alembic); processes/ is deployed when it
    lints clean."""
    from runner.migrations import upgrade

    settings.public_url()  # a wrong address stops before anything changes
    url = settings.database_url()
    upgrade(url)
    result = _deploy(None)
    click.echo(f"schema bijgewerkt; procesversie {result.version}"
               + (" gedeployed" if result.created else " was al gedeployed"))
    warn_public_url()


def warn_public_url() -> None:
    """One line on stderr while the public address of the links is not set; a wrong one
    stops the command (one line, exit 1)."""
    settings.public_url()
    warning = settings.public_url_warning()
    if warning:
        click.echo(warning, err=True)


@main.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
def deploy(folder: Path | None) -> None:
    """Deploy a process folder when it lints clean.

    A new version is made only when the folder changed; FOLDER defaults to processes/."""
    result = _deploy(folder)
    click.echo(f"procesversie {result.version}"
               + (" gedeployed" if result.created else " ongewijzigd"))


def _deploy(folder: Path | None):
    """Deploy; print the lint's warnings, or every problem when the model is refused."""
    from runner.bpmn.errors import ModelRejected

    try:
        result = _klachten().deploy(folder)
    except ModelRejected as err:
        for problem in err.problems:
            click.echo(str(problem), err=True)
        errors = sum(1 for problem in err.problems if problem.severity == "fout")
        raise click.ClickException(f"procesmodel niet gedeployed, er is niets veranderd: "
                                   f"{errors} fout(en), hierboven") from err
    for warning in result.warnings:
        click.echo(warning, err=True)
    return result


@main.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--static-only", "static", is_flag=True,
              help="Only the static checks, without running the model.")
def lint(folder: Path | None, static: bool) -> None:
    """Check a process folder before deploying it.

    The static checks, then a run of every path with sample data (unless --static-only);
    exit 1 on any error (warnings are shown and do not fail)."""
    from runner.definition.model import default_processes_dir
    from runner.design.lint import errors
    from runner.design.lint import lint as run_lint
    from runner.procedure import OPERATORS

    problems = run_lint(folder or default_processes_dir(), OPERATORS, run=not static)
    for problem in problems:
        click.echo(str(problem), err=True)
    if errors(problems):
        raise SystemExit(1)
    click.echo(f"geen fouten gevonden, {len(problems)} waarschuwing(en)" if problems
               else "geen problemen gevonden")


@main.command()
@click.option("--once", is_flag=True, help="One sweep, then stop.")
@click.option("--json", "as_json", is_flag=True, help="With --once: the counts as JSON.")
def worker(once: bool, as_json: bool) -> None:
    """Fire due timers and deliver the outbox.

    A loop, or one pass with --once.
    The loop survives a database restart (it waits and tries again) and stops cleanly on
    SIGTERM or Ctrl-C after the sweep in progress.
    """
    from runner.ops import logs
    from runner.worker import Worker

    logs.configure()
    work = Worker(_klachten())
    if not once:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        work.run(settings.current().worker_interval, stop)
        return
    fired, report = work.run_once()
    if as_json:
        _out({"timers": fired, "verzonden": report.sent, "later_opnieuw": report.retrying,
              "niet_afgeleverd": report.failed, "fouten": list(report.errors)}, True, "")
        return
    for error in report.errors:
        click.echo(error, err=True)
    click.echo(f"{fired} dossier(s) met vervallen timers verwerkt")
    click.echo(f"{report.sent} bericht(en) verzonden, {report.retrying} later opnieuw, "
               f"{report.failed} niet afgeleverd")
    if not (fired or report.sent or report.retrying or report.failed):
        click.echo("niets te doen op dit moment: geen timer vervallen, geen bericht te "
                   "verzenden (draait klachten serve met zijn eigen worker, dan deed die "
                   "het werk al)")


@main.group()
def clock() -> None:
    """Show or move the virtual clock (KLACHTEN_CLOCK=virtual)."""


def _virtual_clock():
    klachten = _klachten()
    if settings.current().clock != settings.Clock.VIRTUAL:
        raise click.ClickException("de klok is echt; zet KLACHTEN_CLOCK=virtual")
    return klachten.clock


@clock.command("show")
def clock_show() -> None:
    """Print the clock's time.

    The real time, or the virtual clock's with KLACHTEN_CLOCK=virtual."""
    click.echo(_klachten().clock.now().isoformat())


@clock.command("set")
@click.argument("instant", type=Instant())
def clock_set(instant: datetime) -> None:
    """Set the virtual clock to INSTANT (ISO 8601, with its offset)."""
    click.echo(_virtual_clock().set(instant).isoformat())


@clock.command("advance")
@click.argument("duration", type=Duration())
def clock_advance(duration: timedelta) -> None:
    """Move the virtual clock on by DURATION.

    An ISO 8601 duration: P21D for three weeks, PT2H for two hours."""
    virtual = _virtual_clock()
    click.echo(virtual.set(virtual.now() + duration).isoformat())


@main.command()
@click.argument("complaint", type=JsonFile())
@click.option("--actor", default="intake", show_default=True,
              help="Who the audit trail names as having received the complaint.")
@click.option("--json", "as_json", is_flag=True,
              help="Number, access code and the dossier's open tasks as JSON.")
def submit(complaint: dict, actor: str, as_json: bool) -> None:
    """Start a dossier from a complaint in a JSON file."""
    klachten = _klachten()
    result = klachten.submit(complaint, actor=actor)
    if as_json:
        _after(klachten, result.dossier_number, toegangscode=result.access_code)
        return
    click.echo(f"dossier {result.dossier_number}")
    if result.access_code:
        click.echo(f"toegangscode {result.access_code}")
    _warn_incidents(klachten, result.dossier_number)


def _after(klachten: Klachten, number: str, **extra: Any) -> None:
    """What a script needs after an action: the dossier, its step and its open tasks."""
    info = klachten.dossier(number)
    _out({"dossiernummer": number, **extra, "stap": info.step, "open_taken": info.open_tasks,
          "incidenten": info.open_incidents()}, True, "")


@main.command()
@click.option("--dossier", "number", help="Only the tasks of this dossier.")
@click.option("--json", "as_json", is_flag=True, help="The tasks as JSON.")
def tasks(number: str | None, as_json: bool) -> None:
    """List open user tasks, earliest due first."""
    klachten = _klachten()
    rows = klachten.tasks(number)
    due = _deadline_text(klachten)
    lines = [f"{t.id}  {t.dossier_number}  {t.title}  [{t.lane}]  {due(t.due_at)}"
             for t in rows]
    _out(rows, as_json, "\n".join(lines) or "geen open taken")


def _deadline_text(klachten: Klachten) -> Callable[..., str]:
    """A due date (a last day or a due instant) as every page shows it, in Dutch:
    uiterlijk 15 december 2026 (nog 3 dagen); ``-`` without one."""
    from runner.deadlines.display import shown

    now, zone = klachten.clock.now(), klachten.latest_model().timezone

    def text(due: datetime | str | None, done_at: datetime | str | None = None) -> str:
        return shown(due, now, zone, done_at).text("nl") if due else "-"
    return text


@main.command()
@click.argument("task_id")
@click.option("--data", "data", type=JsonFile(), required=True,
              help="JSON file with the task's form data.")
@click.option("--user", required=True, help="The account that completes the task.")
@click.option("--take-over", "take_over", is_flag=True,
              help="Take the task over from the user who holds it (needs --reason).")
@click.option("--reason", default=None, help="Why the task is taken over (audited).")
@click.option("--json", "as_json", is_flag=True,
              help="The dossier's step and open tasks after the action, as JSON.")
def complete(task_id: str, data: dict, user: str, take_over: bool, reason: str | None,
             as_json: bool) -> None:
    """Complete a user task with form data from a JSON file.

    As the enabled account --user: only a task of its lanes, with separation of duties as on
    the web and the API. A task another user holds is refused (who holds it since when)
    unless taken over: --take-over --reason TEXT."""
    from runner.work.inbox import Inbox

    if take_over and reason is None:
        raise click.UsageError("--take-over vraagt een reden: --reason TEKST")
    accounts = _accounts()
    number = Inbox(accounts.klachten, accounts).complete(
        accounts.working(user), task_id, data, take_over=reason if take_over else None)
    if as_json:
        _after(accounts.klachten, number, taak=task_id)
        return
    click.echo(f"taak voltooid in dossier {number}")
    _warn_incidents(accounts.klachten, number)


def _warn_incidents(klachten: Klachten, number: str) -> None:
    """The model failed after the action: say so (the input is kept; retry after a fix)."""
    for incident in klachten.dossier(number).open_incidents():
        click.echo(f"incident in dossier {number}: {incident.element}: {incident.error} "
                   f"(uw invoer is bewaard; klachten retry {number} na herstel)", err=True)


@main.command()
@click.argument("number")
@click.option("--to", "to", required=True, help="The mediator who will own the dossier.")
@click.option("--user", required=True, help="The mediator who assigns it.")
@click.option("--reason", default=None,
              help="Why (required when the dossier already has an owner; audited).")
def assign(number: str, to: str, user: str, reason: str | None) -> None:
    """Give dossier NUMBER an owner (its tasks go to them)."""
    from runner.work.ownership import Ownership

    accounts = _accounts()
    previous = Ownership(accounts.klachten).assign(accounts.working(user), number, to, reason)
    click.echo(f"dossier {number} toegewezen aan {to}"
               + (f" (was {previous})" if previous and previous != to else ""))


@main.command()
@click.argument("number")
@click.argument("name", type=click.Choice(["klager_niet_akkoord", "klacht_ingetrokken"]))
@click.option("--data", "data", type=JsonFile(), default=None,
              help="JSON file with the message's payload.")
@click.option("--json", "as_json", is_flag=True,
              help="The dossier's step and open tasks after the message, as JSON.")
def message(number: str, name: str, data: dict | None, as_json: bool) -> None:
    """Send a message to a dossier."""
    klachten = _klachten()
    klachten.send_message(number, name, data or {})
    if as_json:
        _after(klachten, number, bericht=name)
        return
    click.echo(f"bericht {name} afgeleverd aan dossier {number}")


@main.command()
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="The dossier as JSON.")
def dossier(number: str, as_json: bool) -> None:
    """Show a dossier and its history.

    Its step, deadlines, open tasks, notices, audit trail and incidents."""
    from runner.results import to_json
    from runner.service import dumps

    accounts = _accounts()
    klachten = accounts.klachten
    info = klachten.dossier(number)
    _log_access(klachten, number, "dossier (opdrachtregel)")
    inquiries = _investigation(accounts).of_dossier(number)
    if as_json:
        click.echo(dumps({**to_json(info),
                          "consultaties": to_json([i for i in inquiries if i.kind == "dienst"]),
                          "vragen": to_json([i for i in inquiries if i.kind == "klager"])}))
        return
    click.echo(_dossier_text(klachten, info))
    for item in inquiries:
        who = f"dienst {item.service}" if item.kind == "dienst" else "klager"
        click.echo(f"  {item.reference}  {who}  {item.state}: {item.question}"
                   + (f" -> {item.answer}" if item.answer else ""))


def _investigation(accounts):
    from runner.investigation.desk import Investigation

    return Investigation(accounts.klachten, accounts)


@main.command()
@click.argument("number")
@click.option("--service", required=True,
              help="The service to consult (processes/diensten.json).")
@click.option("--question", required=True, help="The question to the service.")
@click.option("--share", multiple=True,
              help="A fact to share: categorie, ontvangen_op, omschrijving.")
@click.option("--confirm", is_flag=True,
              help="Send even though the question holds the member's data (then replaced by "
                   "the pseudonym).")
@click.option("--user", required=True, help="The mediator who consults.")
def consult(number: str, service: str, question: str, share: tuple[str, ...], confirm: bool,
            user: str) -> None:
    """Consult a service, anonymously.

    The service sees the question and the shared facts with the dossier's pseudonym instead
    of the member's name, address, e-mail and numbers; it answers in its own werkbak."""
    accounts = _accounts()
    reference = _investigation(accounts).consult(accounts.working(user), number, service,
                                                 question, share, confirm)
    click.echo(f"consultatie {reference} verstuurd naar dienst {service} (dossier {number})")


@main.command()
@click.argument("number")
@click.option("--question", required=True, help="The question to the member.")
@click.option("--user", required=True, help="The mediator who asks.")
def ask(number: str, question: str, user: str) -> None:
    """Ask the member a question.

    Sent in the member's channel and language; the member answers on the status page."""
    accounts = _accounts()
    reference = _investigation(accounts).ask(accounts.working(user), number, question)
    click.echo(f"vraag {reference} gesteld aan de klager van dossier {number}")


@main.command()
@click.argument("number")
@click.argument("text")
@click.option("--user", required=True, help="The mediator who writes the note.")
@click.option("--contact", type=click.Choice(["phone", "email", "letter", "visit"]),
              help="Log a contact with the complainant instead of an internal note.")
@click.option("--direction", type=click.Choice(["in", "out"]),
              help="With --contact: from (in) or to (out) the complainant.")
@click.option("--date", "day", help="With --contact: its day, YYYY-MM-DD (default today).")
@click.option("--corrects", type=int, help="The number of the note this one corrects.")
@click.option("--json", "as_json", is_flag=True, help="The note as JSON.")
def note(number: str, text: str, user: str, contact: str | None, direction: str | None,
         day: str | None, corrects: int | None, as_json: bool) -> None:
    """Add a note or a logged contact to a dossier (staff only).

    Notes are append-only: correct one with a new note and --corrects."""
    from runner.work.case_notes import CaseNotes, NewNote

    accounts = _accounts()
    made = CaseNotes(accounts.klachten).add(accounts.working(user), number, NewNote(
        text, contact or "", direction or "", day or "", corrects))
    _out(made, as_json, f"notitie {made.id} toegevoegd aan dossier {number}")


@main.command("dossiers")
@click.option("--search", default="", help="Number, name, e-mail, member number or words.")
@click.option("--state", default="",
              help="open, wacht_op_klager, nationaal, afgesloten or ingetrokken.")
@click.option("--step", default="", help="A step number (2-8).")
@click.option("--category", default="", help="A category of instellingen.json.")
@click.option("--owner", default="", help="A user working on the dossier.")
@click.option("--channel", default="", help="web, email, brief, telefoon or loket.")
@click.option("--from", "received_from", default="", help="Received on or after (YYYY-MM-DD).")
@click.option("--to", "received_to", default="", help="Received on or before (YYYY-MM-DD).")
@click.option("--deadline", default="", help="te_laat, or binnen (with --days).")
@click.option("--days", default="", help="With --deadline binnen: due within N days.")
@click.option("--sort", default="", help="ontvangen, dossier, klager, categorie, kanaal, "
                                         "status, stap or vervaldag.")
@click.option("--ascending", is_flag=True, help="Sort ascending (default: descending).")
@click.option("--page", default="", help="The page of 25.")
@click.option("--user", default="", help="Read as this account (default: the system user, "
                                          "as a reader).")
@click.option("--json", "as_json", is_flag=True, help="The page as JSON.")
def dossiers(search: str, state: str, step: str, category: str, owner: str, channel: str,
             received_from: str, received_to: str, deadline: str, days: str, sort: str,
             ascending: bool, page: str, user: str, as_json: bool) -> None:
    """Find dossiers in every state.

    Searched and filtered as on the dossier list; each dossier shown is access-logged."""
    from runner.accounts.users import READER, Account, Accounts
    from runner.results import to_json
    from runner.service import dumps
    from runner.work.dossier_list import DossierList, access_what

    given = {"zoek": search, "status": state, "stap": step, "categorie": category,
             "eigenaar": owner, "kanaal": channel, "van": received_from, "tot": received_to,
             "termijn": deadline, "dagen": days, "sorteer": sort,
             "richting": "op" if ascending else "", "pagina": page}
    account = (_account(user) if user else
               Account(0, f"{getpass.getuser()} (opdrachtregel)", (READER,), False))
    klachten = _klachten()
    listing = DossierList(klachten, Accounts(klachten))
    found = listing.page(account, listing.parse(given), what=access_what("opdrachtregel"))
    if as_json:
        click.echo(dumps({"totaal": found.total, "meer": found.more, "pagina": found.page,
                          "paginas": found.pages, "dossiers": to_json(found.rows)}))
        return
    lines = [f"{r.number}  {r.received_on.isoformat()}  {r.complainant or '(gewist)'}  "
             f"{r.category}  {r.state}  stap {r.step or '-'}"
             + (f"  vervalt {r.last_day.isoformat()}" if r.last_day else "")
             for r in found.rows]
    more = "meer dan " if found.more else ""
    lines.append(f"{more}{found.total} dossiers, pagina {found.page} van {found.pages}")
    click.echo("\n".join(lines))


def _dossier_text(klachten: Klachten, info: DossierInfo) -> str:
    from runner.work.case_summary import deadlines_done

    data, model, _ = klachten.diagram(info.number)
    done = deadlines_done(info, data, model)
    due = _deadline_text(klachten)
    lines = [f"Dossier {info.number}  stap: {info.step or '-'}",
             f"ontvangen {_iso(info.received_at)}  {info.category}  via {info.channel}"]
    if info.closed:
        lines.append(f"afgesloten {_iso(info.closed_at)}: {info.outcome}")
    lines.append("Termijnen:")
    lines += [f"  {name}: {due(t.due_date, done.get(name))}  ({t.explanation})"
              for name, t in info.deadlines.items()]
    lines.append("Open taken:")
    lines += [f"  {t.id}  {t.title}  {due(t.due_at)}" for t in info.open_tasks]
    lines.append("Berichten:")
    lines += [_notice_line(n) for n in info.notices]
    lines.append("Verloop:")
    lines += [f"  {_iso(a.at)}  {a.actor}: {a.action} {a.element}" for a in info.audit]
    if info.incidents:
        lines.append("Incidenten:")
        lines += [f"  {_iso(i.at)}  {i.element}: {i.error}"
                  + (f" (opgelost {_iso(i.resolved_at)})" if i.resolved_at else "")
                  for i in info.incidents]
    return "\n".join(lines)


def _iso(value: datetime | None) -> str:
    """An instant as the text output writes it (ISO, as the JSON)."""
    return value.isoformat() if value else str(value)


def _log_access(klachten: Klachten, number: str, what: str) -> None:
    """The access log names the system account that ran the command."""
    from runner.privacy.access_log import log_access

    log_access(klachten, f"{getpass.getuser()} (opdrachtregel)", number, what)


def _notice_line(notice: NoticeInfo) -> str:
    line = (f"  {_iso(notice.created_at)}  {notice.kind} ({notice.language}, "
            f"{notice.channel})  code {notice.code}  {notice.status_text}")
    if notice.error:
        line += f" na {notice.attempts} poging(en): {notice.error}"
    return line


@main.command()
@click.argument("number")
@click.argument("code")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="PDF file to write (default: NUMBER-CODE.pdf here).")
def letter(number: str, code: str, output: Path | None) -> None:
    """Write a notice as a PDF letter, to print and post."""
    klachten = _klachten()
    result = klachten.post.letter(number, code)
    _log_access(klachten, number, f"brief {code.upper()} (opdrachtregel)")
    target = output or Path(result.filename)
    target.write_bytes(result.pdf)
    click.echo(f"brief geschreven naar {target}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="The print queue as JSON.")
def letters(as_json: bool) -> None:
    """List the letters waiting to be printed and posted.

    Oldest first: the print queue."""
    rows = _klachten().post.letters_to_print()
    lines = [f"{n['dossiernummer']}  {'+'.join(n['berichten'])}  {n['soort']}  "
             f"{n['aangemaakt_op']}" for n in rows]
    _out(rows, as_json, "\n".join(lines) or "geen brieven te printen")


@main.command()
@click.argument("number")
@click.argument("code")
@click.option("--user", required=True, help="The account that posted the letter.")
def posted(number: str, code: str, user: str) -> None:
    """Record that the letter of a notice was printed and posted."""
    _klachten().post.mark_posted(number, code, user)
    click.echo(f"brief {code} van dossier {number} gepost")


@main.command()
@click.argument("number")
@click.option("--user", default="beheerder", show_default=True,
              help="The account the audit trail names.")
def retry(number: str, user: str) -> None:
    """Run a dossier's failed step again."""
    count = _klachten().retry(number, user)
    click.echo(f"{count} element(en) opnieuw uitgevoerd in dossier {number}")


@main.command()
@click.argument("number")
@click.option("--reason", required=True, help="Why the dossier is reopened (audited).")
@click.option("--user", required=True, help="The mediator who reopens it.")
def reopen(number: str, reason: str, user: str) -> None:
    """Reopen a closed dossier.

    The model decides where it resumes (the gateway "Heropend?")."""
    from runner.work.follow_up import FollowUp

    FollowUp(_klachten()).reopen(_account(user), number, reason)
    click.echo(f"dossier {number} heropend")


@main.command()
@click.argument("number")
@click.option("--of", "original", required=True, help="The dossier that handles the complaint.")
@click.option("--reason", default="", help="Why (optional, audited).")
@click.option("--user", required=True, help="The mediator who marks it.")
def duplicate(number: str, original: str, reason: str, user: str) -> None:
    """Close a dossier as a duplicate of another.

    No closing notice goes to the member; the dossier then points to the other one."""
    from runner.work.follow_up import FollowUp

    FollowUp(_klachten()).mark_duplicate(_account(user), number, original, reason)
    click.echo(f"dossier {number} afgesloten als dubbel van {original}")


@main.command()
@click.option("--to", "to", type=int, help="The process version to move the dossiers to.")
@click.option("--dossier", "numbers", multiple=True, help="A dossier to move (repeatable).")
@click.option("--from", "from_version", type=int,
              help="Move every running dossier of this version.")
@click.option("--dry-run", is_flag=True, help="Only report what would change.")
@click.option("--new-rules", is_flag=True,
              help="Apply the new version's rule values (deadlines, intervals) too.")
@click.option("--revert", is_flag=True,
              help="Put the --dossier dossiers back as they were before their last migration.")
@click.option("--user", default="beheerder", show_default=True,
              help="The account the audit trail names.")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
def migrate(to: int | None, numbers: tuple[str, ...], from_version: int | None, dry_run: bool,
            new_rules: bool, revert: bool, user: str, as_json: bool) -> None:
    """Move running dossiers to another process version.

    --revert puts them back as they were before their last migration."""
    from runner.bpmn.migration_text import report_text, reverted_text
    from runner.design.dossier_migration import DossierMigrations, Selection

    migrations = DossierMigrations(_klachten())
    if revert:
        rows = migrations.revert(list(numbers), user)
        _out(rows, as_json, reverted_text(rows))
        return
    if to is None:
        raise click.ClickException("geef de procesversie om naartoe te gaan (--to VERSIE)")
    selection = Selection(numbers, from_version)
    report = (migrations.plan(to, selection, new_rules) if dry_run
              else migrations.migrate(to, selection, user, new_rules))
    _out(report, as_json, report_text(report))
    if not dry_run and any(not row.get("resultaat") for row in report["dossiers"]):
        raise SystemExit(1)


# ----- accounts
def _accounts():
    from runner.accounts.users import Accounts

    return Accounts(_klachten())


@main.group()
def user() -> None:
    """Staff accounts, their passwords, tokens and sessions."""


@user.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True,
              help="klachtenbemiddelaar, nationale klachtenbemiddelaar, beheerder or lezer "
                   "(repeat for several roles).")
def user_add(name: str, roles: tuple[str, ...]) -> None:
    """Add a mediator's account.

    The password comes from KLACHTEN_PASSWORD or a prompt."""
    password = settings.current().password.get_secret_value() or click.prompt(
        "wachtwoord", hide_input=True, confirmation_prompt=True)
    account = _accounts().add(name, roles, password)
    click.echo(f"gebruiker {account.name} toegevoegd ({', '.join(account.roles)})")


@user.command("role")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True,
              help="The user's new role (repeat for several).")
def user_role(name: str, roles: tuple[str, ...]) -> None:
    """Replace a user's roles."""
    account = _accounts().set_roles(name, roles)
    click.echo(f"gebruiker {account.name}: {', '.join(account.roles)}")


@user.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="Enable the account again.")
def user_disable(name: str, enable: bool) -> None:
    """Disable a user (no login, no API token) or enable it again."""
    account = _accounts().set_disabled(name, not enable)
    click.echo(f"gebruiker {account.name} " + ("uitgeschakeld" if account.disabled
                                                else "ingeschakeld"))


@user.command("token")
@click.argument("name")
@click.option("--label", default="token", show_default=True,
              help="What the token is for (shown in the user's list of tokens).")
@click.option("--days", default=90, show_default=True, type=int,
              help="Days until the token expires (1 to 365).")
def user_token(name: str, label: str, days: int) -> None:
    """Print a new API token for the user.

    It is shown once (only its hash is kept); the user's other tokens keep working until
    they expire or are revoked."""
    click.echo(_accounts().new_token(name, label, days))


@user.command("tokens")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
def user_tokens(name: str, as_json: bool) -> None:
    """List the user's API tokens, never the tokens."""
    listed = _accounts().tokens(name)
    _out(listed, as_json, "\n".join(
        f"{t.id}\t{t.label}\ttot {t.expires_at:%Y-%m-%d}\t{t.state}" for t in listed)
        or f"gebruiker {name} heeft geen API-tokens")


@user.command("revoke-token")
@click.argument("name")
@click.argument("token_id", type=int)
def user_revoke_token(name: str, token_id: int) -> None:
    """Revoke one of the user's API tokens.

    Its id is in ``klachten user tokens``."""
    _accounts().revoke_token(name, token_id)
    click.echo(f"token {token_id} van {name} ingetrokken")


@user.command("password")
@click.argument("name")
def user_password(name: str) -> None:
    """Set a user's password; their sessions end.

    The password comes from KLACHTEN_PASSWORD or a prompt."""
    password = settings.current().password.get_secret_value() or click.prompt(
        "nieuw wachtwoord", hide_input=True, confirmation_prompt=True)
    _accounts().set_password(name, password)
    click.echo(f"wachtwoord van {name} gewijzigd; alle sessies van {name} zijn afgemeld")


@user.command("reset-link")
@click.argument("name")
def user_reset_link(name: str) -> None:
    """Print a single-use link to set a new password."""
    click.echo(_accounts().reset_link(name, "cli"))


@user.command("email")
@click.argument("name")
@click.argument("address")
def user_email(name: str, address: str) -> None:
    """Set where reset links are mailed ('' for none)."""
    account = _accounts().set_email(name, address)
    click.echo(f"gebruiker {account.name}: e-mailadres {account.email or '(geen)'}")


@user.command("sign-out")
@click.argument("name")
def user_sign_out(name: str) -> None:
    """End every web session of the user."""
    accounts = _accounts()
    accounts.sign_out_everywhere(accounts.by_name(name))
    click.echo(f"alle sessies van {name} zijn afgemeld")


# ----- privacy: retention, legal hold, erasure, access request, rectification
@main.command()
@click.option("--dry-run", is_flag=True, help="Only list the dossiers whose retention ended.")
def retention(dry_run: bool) -> None:
    """Erase the closed dossiers whose retention ended.

    The worker does this daily; the command is for a first run or a check (--dry-run)."""
    from runner.privacy.retention import Retention

    result = Retention(_klachten()).run(dry_run=dry_run)
    for number in result.due:
        click.echo(f"te wissen: {number}")
    for number in result.erased:
        click.echo(f"gewist: {number}")
    for number in result.held:
        click.echo(f"juridische blokkering, niet gewist: {number}")
    click.echo(f"{len(result.due)} te wissen (proefdraai)" if dry_run
               else f"{len(result.erased)} dossier(s) gewist")


@main.group()
def privacy() -> None:
    """Legal hold, erasure on request, access request, rectification."""


def _account(name: str):
    account = next((a for a in _accounts().list() if a.name == name), None)
    if account is None:
        raise click.ClickException(f"gebruiker {name} bestaat niet")
    return account


@privacy.command("hold")
@click.argument("number")
@click.option("--reason", required=True, help="Why the dossier may not be erased.")
@click.option("--user", required=True, help="The beheerder who sets the hold.")
@click.option("--release", is_flag=True, help="Lift the hold instead.")
def privacy_hold(number: str, reason: str, user: str, release: bool) -> None:
    """Set or lift a legal hold on a dossier.

    While the hold lasts the dossier is never erased; --release lifts it."""
    from runner.privacy.retention import Retention

    account = _account(user)
    retention_ = Retention(_klachten())
    if release:
        retention_.release(account, number)
        click.echo(f"juridische blokkering van dossier {number} opgeheven")
    else:
        retention_.hold(account, number, reason)
        click.echo(f"dossier {number} staat onder juridische blokkering")


@privacy.command("erase")
@click.argument("number")
@click.option("--reason", required=True, help="The member's request (no personal data).")
@click.option("--user", required=True, help="The beheerder who erases.")
def privacy_erase(number: str, reason: str, user: str) -> None:
    """Erase a closed dossier on the member's request.

    GDPR art. 17, where the model allows it."""
    from runner.privacy.retention import Retention

    Retention(_klachten()).erase_on_request(_account(user), number, reason)
    click.echo(f"dossier {number} gewist")


def _person_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options that name the person of an access request."""
    for option in reversed([
            click.option("--name", default="", help="The person's name."),
            click.option("--email", default="", help="The person's e-mail address."),
            click.option("--member-number", default="", help="The person's member number.")]):
        command = option(command)
    return command


def _person(name: str, email: str, member_number: str):
    from runner.privacy.subject_access import Person

    return Person(name or "", email or "", member_number or "")


@privacy.command("search")
@_person_options
@click.option("--user", required=True, help="The beheerder who searches.")
@click.option("--json", "as_json", is_flag=True, help="The dossiers found as JSON.")
def privacy_search(name: str, email: str, member_number: str, user: str, as_json: bool) -> None:
    """Find every dossier of a person.

    By name, e-mail address or member number."""
    from runner.privacy.subject_access import SubjectAccess

    rows = SubjectAccess(_klachten()).find(_account(user),
                                           _person(name, email, member_number))
    lines = [f"{r['dossiernummer']}  {r['naam']}  {r['email']}  {r['lidnummer']}  "
             f"ontvangen {r['ontvangen_op']}" for r in rows]
    _out(rows, as_json, "\n".join(lines) or "geen dossiers gevonden")


@privacy.command("export")
@_person_options
@click.option("--user", required=True, help="The beheerder who answers the request.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="PDF file to write; the JSON goes beside it (.json).")
def privacy_export(name: str, email: str, member_number: str, user: str, output: Path) -> None:
    """Answer an access request: all held about a person.

    GDPR art. 15: a PDF, and the same as JSON beside it."""
    from runner.privacy.subject_access import SubjectAccess
    from runner.service import dumps

    export = SubjectAccess(_klachten()).export(_account(user),
                                               _person(name, email, member_number))
    output.write_bytes(export.pdf)
    output.with_suffix(".json").write_text(dumps(export.document), encoding="utf-8")
    click.echo(f"{len(export.document['dossiers'])} dossier(s) geschreven naar {output} en "
               f"{output.with_suffix('.json')}")


@privacy.command("correct")
@click.argument("number")
@click.option("--set", "changes", multiple=True, required=True, metavar="FIELD=VALUE",
              help="A contact field and its new value, e.g. email=an@example.be "
                   "(an empty value removes the field).")
@click.option("--user", required=True, help="The mediator who corrects.")
def privacy_correct(number: str, changes: tuple[str, ...], user: str) -> None:
    """Correct a complainant's contact data.

    GDPR art. 16; the old value is not kept."""
    from runner.privacy.rectification import Rectification

    fields = {}
    for change in changes:
        key, sep, value = change.partition("=")
        if not sep:
            raise click.BadParameter(f"{change!r} is geen FIELD=VALUE", param_hint="--set")
        fields[key.strip()] = value
    changed = Rectification(_klachten()).correct(_account(user), number, fields)
    click.echo(f"gecorrigeerd in dossier {number}: {', '.join(changed)}" if changed
               else "niets gewijzigd")
