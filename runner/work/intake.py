"""The intake: a mediator registers a complaint received by letter, phone, e-mail or at the
counter. The same process starts as for the web form; the received date may lie in the past
and the complaint may be anonymous (it is then found niet ontvankelijk in step 3)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from runner.accounts.users import INTAKE, Account
from runner.bpmn.errors import Forbidden, ValidationFailed
from runner.bpmn.forms import from_fields
from runner.service import COMPLAINT_FORM, Klachten, Submitted

CHANNELS = ("brief", "telefoon", "email", "loket")


class Intake:
    def __init__(self, klachten: Klachten):
        self.klachten = klachten

    def categories(self) -> list[str]:
        return list(self.klachten.latest_model().settings.get("categorieen", []))

    def submit_data(self, account: Account, data: dict) -> Submitted:
        """A complaint as JSON (the API): validated by the runner like any other."""
        self._check(account)
        return self.klachten.submit(data, actor=account.name)

    @staticmethod
    def _check(account: Account) -> None:
        if not account.may(INTAKE):
            raise Forbidden(f"{account.name} mag geen klachten registreren")

    def submit(self, account: Account, fields: Mapping[str, str]) -> Submitted:
        """A complaint from the intake form's fields."""
        self._check(account)
        model = self.klachten.latest_model()
        schema = model.form(COMPLAINT_FORM)
        data = from_fields({"properties": {k: v for k, v in schema["properties"].items()
                                           if k != "ontvangen_op"}}, fields)
        if data.get("kanaal") not in CHANNELS:
            raise ValidationFailed({"kanaal": f"kies een van: {', '.join(CHANNELS)}"},
                                   {"kanaal": "enum"})
        received = str(fields.get("ontvangen_op", "")).strip()
        if received:
            data["ontvangen_op"] = _local_midnight(received, model.timezone)
        return self.klachten.submit(data, actor=account.name)


def _local_midnight(value: str, zone: ZoneInfo) -> str:
    """A received date (YYYY-MM-DD) as the start of that day in the fund's local time."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed({"ontvangen_op": "geen geldige datum"},
                               {"ontvangen_op": "format"}) from None
    return datetime.combine(day, time(0, 0), zone).isoformat()
