"""Where a notice to the complainant goes: the name, the letter's address block, and the
channel (e-mail, letter or none)."""

from __future__ import annotations


def complainant_name(complainant: dict) -> str:
    """First and last name, as far as known ("" for an anonymous complaint)."""
    return " ".join(p for p in (complainant.get("voornaam"), complainant.get("achternaam")) if p)


def postal_address(complainant: dict) -> str | None:
    """The address block of a letter: the name, then the postal address (None if unknown)."""
    if not complainant.get("adres"):
        return None
    name = complainant_name(complainant)
    return f"{name}\n{complainant['adres']}" if name else complainant["adres"]


def delivery_address(complainant: dict) -> tuple[str, str]:
    """Channel and recipient: e-mail when known, else a letter to the postal address, else
    nothing can be sent (an anonymous complaint) and the notice is kept as undeliverable."""
    if complainant.get("email"):
        return "email", complainant["email"]
    address = postal_address(complainant)
    return ("brief", address) if address else ("geen", "")
