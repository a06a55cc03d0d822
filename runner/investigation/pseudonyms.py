"""The member's identity kept away from the services: a random pseudonym per dossier, and
finding (and replacing) the member's name, e-mail address, numbers and address in a text."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from runner.investigation.store import DossierPseudonym

_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud on the phone
# Belgian national register numbers (YY.MM.DD-XXX.CC, with or without separators), and any
# run of 9 or more digits (member, account and register numbers).
_NATIONAL_NUMBER = re.compile(r"\b\d{2}[.\s]?\d{2}[.\s]?\d{2}[-\s]?\d{3}[.\s]?\d{2}\b")
_LONG_NUMBER = re.compile(r"\d(?:[\s./-]?\d){8,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MIN_PART = 3  # a name part shorter than this ("An") is matched only as a whole word


@dataclass(frozen=True)
class Found:
    """Identifying data found in a text: what kind and the text found."""

    what: str  # naam, e-mailadres, lidnummer, adres, nummer
    text: str


def new_pseudonym() -> str:
    return "Lid-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def pseudonym_of(session: Session, dossier_id: int) -> str:
    """The dossier's pseudonym, made the first time it is needed (in the caller's action,
    which holds the instance's row version: two consultations at once cannot both make one)."""
    found = session.get(DossierPseudonym, dossier_id)
    if found is None:
        found = DossierPseudonym(dossier_id=dossier_id, pseudonym=new_pseudonym())
        session.add(found)
        session.flush()
    return found.pseudonym


def identity_of(member: dict) -> list[Found]:
    """The member's identifying values, longest first (full name before its parts)."""
    values: list[Found] = []
    first, last = (member.get("voornaam") or "").strip(), (member.get("achternaam") or "").strip()
    if first and last:
        values.append(Found("naam", f"{first} {last}"))
        values.append(Found("naam", f"{last} {first}"))
    values += [Found("naam", part) for part in (first, last) if part]
    if member.get("email"):
        values.append(Found("e-mailadres", member["email"].strip()))
    if member.get("lidnummer"):
        values.append(Found("lidnummer", member["lidnummer"].strip()))
    if member.get("rijksregisternummer"):
        values.append(Found("rijksregisternummer", member["rijksregisternummer"].strip()))
    for key in ("adres", "telefoon"):
        value = (member.get(key) or "").strip()
        if value:
            values.append(Found("adres" if key == "adres" else "telefoon", value))
            values += [Found("adres", line.strip()) for line in re.split(r"[,\n]", value)
                       if key == "adres" and len(line.strip()) >= MIN_PART + 2]
    return sorted(values, key=lambda found: len(found.text), reverse=True)


def _pattern(value: str) -> re.Pattern[str]:
    """``value`` anywhere, case-insensitive, as a whole word; digits with any separators."""
    if value.replace(" ", "").isdigit():
        digits = r"[\s./-]?".join(re.escape(d) for d in value if d.isdigit())
        return re.compile(rf"(?<!\d){digits}(?!\d)")
    return re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.IGNORECASE)


def find_identity(text: str, member: dict) -> list[Found]:
    """What of the member's identity, or what looks like an e-mail address or a national
    register or other long number, ``text`` contains (each found text once)."""
    found: dict[str, Found] = {}
    for value in identity_of(member):
        for match in _pattern(value.text).finditer(text):
            found.setdefault(match.group(0).lower(), Found(value.what, match.group(0)))
    for what, pattern in (("e-mailadres", _EMAIL), ("rijksregisternummer", _NATIONAL_NUMBER),
                          ("nummer", _LONG_NUMBER)):
        for match in pattern.finditer(text):
            if not any(match.group(0).lower() in key or key in match.group(0).lower()
                       for key in found):
                found.setdefault(match.group(0).lower(), Found(what, match.group(0)))
    return list(found.values())


def pseudonymise(text: str, member: dict, pseudonym: str) -> str:
    """``text`` with the member's identity, e-mail addresses and long numbers replaced by
    the pseudonym."""
    for value in identity_of(member):
        text = _pattern(value.text).sub(pseudonym, text)
    for pattern in (_EMAIL, _NATIONAL_NUMBER, _LONG_NUMBER):
        text = pattern.sub(pseudonym, text)
    return text
