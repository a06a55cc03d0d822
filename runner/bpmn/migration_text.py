"""A migration's dry run, result and revert as the lines the CLI prints."""

from __future__ import annotations

from typing import Any


def report_text(report: dict[str, Any]) -> str:
    rows = report["dossiers"]
    moved = sum(bool(row.get("resultaat")) for row in rows)
    movable = sum(bool(row.get("kan_verplaatst")) for row in rows)
    head = (f"proef: migratie naar versie {report['naar']} (er verandert niets)"
            if report["proef"] else f"migratie naar versie {report['naar']}")
    rules = "ja" if report["nieuwe_regels"] else "nee (de dossiers houden hun regelwaarden)"
    lines = [head, f"nieuwe regelwaarden toepassen: {rules}",
             "gewijzigde bestanden: " + (", ".join(report["gewijzigde_bestanden"]) or "geen")]
    for row in rows:
        lines += ["", *_dossier_lines(row, report["nieuwe_regels"])]
    total = (f"{movable} van {len(rows)} dossier(s) kunnen verplaatst worden"
             if report["proef"] else f"{moved} van {len(rows)} dossier(s) gemigreerd")
    return "\n".join([*lines, "", total])


def _dossier_lines(row: dict[str, Any], new_rules: bool) -> list[str]:
    where = f"versie {row['van']}, {row['stap']}" if "van" in row else "onbekend"
    if not row.get("kan_verplaatst"):
        return [f"{row['dossiernummer']} ({where}): blijft staan: " + "; ".join(row["redenen"])]
    status = "gemigreerd" if row.get("resultaat") else "kan verplaatst worden"
    lines = [f"{row['dossiernummer']} ({where}): {status}"]
    for key, label in (("taken_toegevoegd", "taken erbij na de huidige stap"),
                       ("taken_verwijderd_vooruit", "taken die wegvallen"),
                       ("taken_verwijderd_gedaan", "al gedane taken die niet meer bestaan"),
                       ("regels_gewijzigd", "gewijzigde regeltabellen" if new_rules else
                        "gewijzigde regeltabellen (de oude waarden blijven; --new-rules past "
                        "de nieuwe toe)"),
                       ("bestanden", "gewijzigde formulieren en teksten")):
        if row.get(key):
            lines.append(f"  {label}: {', '.join(row[key])}")
    lines += [f"  termijn {item['termijn']}: {item['oud'] or '-'} -> {item['nieuw'] or '-'}"
              for item in row.get("termijnen", [])]
    lines += [f"  timer {item['element']}: {item['oud'] or '-'} -> {item['nieuw'] or '-'}"
              for item in row.get("timers", [])]
    return lines


def reverted_text(rows: list[dict[str, Any]]) -> str:
    return "\n".join(f"{row['dossiernummer']}: terug op versie {row['naar']} ({row['stap']})"
                     for row in rows)
