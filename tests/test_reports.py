"""Reports on a generated set of dossiers with known answers (``tests/report_world.py``)."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from conftest import Harness
from report_world import description, person
from sqlalchemy import select

from runner.accounts.users import ROLES, SERVICE, Account
from runner.bpmn.errors import Forbidden, ValidationFailed
from runner.bpmn.store import transaction
from runner.reports.figures import CSV_COLUMNS, Period, ReportDesk
from runner.results import AuditInfo, utc
from runner.store import Dossier, DossierFacts

YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))
READER = Account(1, "lea", ("lezer",), False)
INVESTIGATING = "4. Klacht analyseren en onderzoeken"


def test_every_figure_equals_the_expected_count(generated):
    notices = {key: h.notices() for key, h in generated.d.items()}
    assert notices["E"].count("statusbericht") == 2 and notices["D"].count("statusbericht") == 1
    report = ReportDesk(generated.k).report(READER, YEAR)

    assert report.received == 7
    assert report.per_month == [(f"2026-{m:02d}", 7 if m == 3 else 0) for m in range(1, 13)]
    assert report.per_category == [("terugbetaling", 3), ("andere", 2), ("administratie", 1),
                                   ("uitkering", 1)]
    assert report.per_channel == [("web", 4), ("brief", 2), ("telefoon", 1)]
    assert (report.admissible.count, report.admissible.total) == (4, 6)
    assert report.admissible.percent == 66.7
    assert report.inadmissible_reasons == [("anoniem", 1), ("geen_verband", 1)]
    assert report.outcomes == [("deels gegrond", 1), ("gegrond", 1), ("ongegrond", 1)]
    assert (report.escalated.count, report.escalated.total) == (1, 3)
    assert report.national_outcomes == [("ongegrond", 1)]
    # A, C, D, E, F e-mailed on day 0; B posted on day 9 (due 10 March); G anonymous.
    assert (report.acknowledgements.met, report.acknowledgements.missed) == (5, 1)
    assert report.acknowledgements.share.percent == 83.3
    # E on day 22.5 and 43.5 on time; D's update came on day 30.5 after the outage.
    assert (report.status_updates.met, report.status_updates.missed) == (2, 1)
    # A, B, D answered in time; E still investigating past 16 April; F withdrawn first.
    assert (report.answers.met, report.answers.missed, report.answers.pending) == (3, 1, 0)
    assert (report.national_answers.met, report.national_answers.missed) == (1, 0)
    # Closed: C and G after 2 days, F 3, D 40, A and B on 14 April (43).
    assert (report.lead_time.closed, report.lead_time.median_days,
            report.lead_time.p90_days) == (6, 3, 43)
    assert report.open_by_step == [(INVESTIGATING, [0, 0, 0, 1])]
    assert report.recommendations == [("open", 2)]


def _first(audit: tuple[AuditInfo, ...], actions: set[str], element: str) -> datetime | None:
    return next((e.at for e in audit if e.action in actions and e.element == element), None)


def test_the_facts_agree_with_the_audit_trail(generated):
    """Every instant the reports count is the instant of an event in the audit trail."""
    with transaction(generated.k.factory) as session:
        rows = {f.dossier_id: f for f in session.scalars(select(DossierFacts))}
        ids = dict(session.execute(select(Dossier.number, Dossier.id)).all())
    for key, case in generated.d.items():
        audit, facts = case.info.audit, rows[ids[case.number]]
        left = _first(audit, {"bericht verzonden", "brief gepost"}, "ontvangstmelding")
        if facts.ack_due_at is not None:
            assert utc(facts.ack_at) == left, key
        assert utc(facts.answer_at) == _first(audit, {"stap uitgevoerd"},
                                              "antwoord_versturen"), key
        assert utc(facts.national_at) == _first(audit, {"stap uitgevoerd"},
                                                "nationaal_antwoord_versturen"), key
        updates = sum(e.action == "stap uitgevoerd" and e.element in (
            "statusbericht", "nationaal_statusbericht") for e in audit)
        assert facts.status_met + facts.status_missed == updates, key


def test_a_period_counts_only_its_own_dossiers(generated):
    desk = ReportDesk(generated.k)
    april = desk.report(READER, Period(date(2026, 4, 1), date(2026, 4, 30)))
    assert april.received == 0 and april.acknowledgements.share.total == 0
    assert april.per_month == [("2026-04", 0)]
    # Closed in April: D (11 April), A and B (14 April).
    assert (april.lead_time.closed, april.lead_time.median_days) == (3, 43)


def test_csv_export_has_the_rows_and_no_personal_data(generated):
    rows = list(ReportDesk(generated.k).rows(READER, YEAR))
    assert rows[0] == list(CSV_COLUMNS) and len(rows) == 8
    by_number = {row[0]: dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]}
    b = by_number[generated.d["B"].number]
    assert (b["ontvangstmelding_vervaldag"], b["ontvangstmelding_op_tijd"]) == ("2026-03-10",
                                                                                "nee")
    g = by_number[generated.d["G"].number]  # anonymous: no acknowledgement deadline at all
    assert (g["ontvangstmelding_vervaldag"], g["ontvangstmelding_op_tijd"],
            g["reden_niet_ontvankelijk"]) == ("", "", "anoniem")
    d = by_number[generated.d["D"].number]
    assert (d["statusberichten_op_tijd"], d["statusberichten_te_laat"], d["geescaleerd"],
            d["uitkomst_nationaal"], d["doorlooptijd_dagen"]) == ("0", "1", "ja", "ongegrond",
                                                                  "40")
    text = "\n".join(",".join(row) for row in rows)
    for key in "ABCDEFG":
        someone = person(key)
        for value in (someone["voornaam"], someone["achternaam"], someone["email"],
                      someone["adres"], description(key), "te weinig terugbetaald"):
            assert value.lower() not in text.lower()
    assert "09 123 45 67" not in text and not re.search(r"@", text)


def test_deadlines_follow_the_version_each_dossier_ran_on(klachten, processes_copy):
    old = Harness(klachten).submit(klager={"voornaam": "Oud", "achternaam": "X",
                                           "adres": "Straat 1"}, kanaal="brief")
    dmn = processes_copy / "termijnen.dmn"
    text, count = re.subn(r'(<outputEntry id="r1_d"><text>)8(</text>)', r"\g<1>3\g<2>",
                          dmn.read_text(encoding="utf-8"))
    assert count == 1
    dmn.write_text(text, encoding="utf-8")
    klachten.deploy(processes_copy)
    new = Harness(klachten).submit(klager={"voornaam": "Nieuw", "achternaam": "Y",
                                           "adres": "Straat 2"}, kanaal="brief")
    old.at_day(7)
    for case in (old, new):
        case.complete("ontvangstmelding_posten", {"gepost_op": "2026-03-09"})
    report = ReportDesk(klachten).report(READER, YEAR)
    # Posted on day 7: in time under version 1 (8 days), late under version 2 (3 days: 5 March).
    assert (report.acknowledgements.met, report.acknowledgements.missed) == (1, 1)


def test_a_long_outage_misses_every_interval_it_spans(harness):
    case = harness.submit().at_day(1).admissible()
    case.at_day(70)  # the worker was down from day 1: one update goes out (ADR 2)
    assert case.notices().count("statusbericht") == 1
    case.at_day(80).investigate()  # ends 10 days into the next interval: not counted
    status = ReportDesk(harness.k).report(READER, YEAR).status_updates
    # Due by 24 March; on 11 May three intervals (to 24 March, 14 April, 5 May) had passed.
    assert (status.met, status.missed) == (0, 3)


def test_pending_deadlines_count_in_neither(klachten):
    Harness(klachten).submit(klager={"voornaam": "P", "adres": "Straat 3"}, kanaal="brief")
    report = ReportDesk(klachten).report(READER, YEAR)
    assert report.acknowledgements == report.acknowledgements.__class__(0, 0, 1)
    assert report.acknowledgements.share.percent is None


@pytest.mark.parametrize(("first", "last", "field"), [
    ("2026-13-01", "2026-12-31", "van"),
    ("2026-01-01", "gisteren", "tot"),
    ("2026-06-01", "2026-05-31", "tot"),
    ("2016-01-01", "2026-12-31", "tot"),
    ("", "2026-12-31", "van"),
])
def test_a_bad_period_is_refused_in_dutch(first, last, field):
    with pytest.raises(ValidationFailed) as raised:
        Period.parse(first, last, date(2026, 11, 26))
    assert list(raised.value.reasons) == [field]


def test_the_default_period_is_the_last_twelve_months_up_to_today():
    assert Period.parse(None, "", date(2026, 11, 26)) == Period(date(2025, 12, 1),
                                                               date(2026, 11, 26))
    assert Period.parse("", "", date(2026, 12, 3)) == Period(date(2026, 1, 1), date(2026, 12, 3))
    assert Period.parse("", "", date(2026, 1, 9)) == Period(date(2025, 2, 1), date(2026, 1, 9))


@pytest.mark.parametrize("role", [role for role in ROLES if role != SERVICE])
def test_every_staff_role_may_read_the_reports(klachten, role):
    report = ReportDesk(klachten).report(Account(2, "x", (role,), False), YEAR)
    assert report.received == 0


def test_a_services_contact_may_not_read_the_reports(klachten):
    with pytest.raises(Forbidden):
        ReportDesk(klachten).report(Account(2, "x", (SERVICE,), False), YEAR)


def test_a_disabled_account_may_not(klachten):
    with pytest.raises(Forbidden):
        ReportDesk(klachten).report(Account(3, "x", ("lezer",), True), YEAR)
    with pytest.raises(Forbidden):
        next(ReportDesk(klachten).rows(Account(3, "x", ("beheerder",), True), YEAR))

