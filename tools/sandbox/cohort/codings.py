"""Write a patient's results the way a non-LOINC feed would: local lab codes, or text-only abbreviations.

Real records code the same potassium three ways: LOINC 2823-3 from a standards-minded lab, the clinic
lab system's own `K` with "Potassium" as text, or a bare `code.text` "K" from an interface that sends no
coding at all (often in mEq/L rather than mmol/L). A cohort coded only in LOINC hides every bug in
concept resolution, so a few patients are rewritten into the other two shapes (`local_codes.yaml`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from tools.sandbox.cohort.model import FhirResource

Coding = Literal["loinc", "local", "text"]
"""How a patient's lab and vital results are coded: LOINC as written, the local lab code, or text only."""
LOINC = "http://loinc.org"
TABLE = Path(__file__).with_name("local_codes.yaml")


@dataclass(frozen=True)
class LocalCode:
    """One LOINC code's local counterparts (a row of `local_codes.yaml`)."""

    loinc: str
    concept: str
    local: str
    text: str
    abbreviation: str
    unit: str | None = None


@dataclass(frozen=True)
class LocalCodeTable:
    """The clinic lab system's code system and its rows by LOINC code."""

    system: str
    rows: dict[str, LocalCode]

    def concept_of(self, code: dict[str, Any] | None) -> str | None:
        """The concept id a CodeableConcept written by this cohort means, whichever way it is coded."""
        if not isinstance(code, dict):
            return None
        for coding in code.get("coding") or []:
            system, value = coding.get("system"), coding.get("code")
            if system == LOINC and value in self.rows:
                return self.rows[value].concept
            if system == self.system:
                found = next((r for r in self.rows.values() if r.local == value), None)
                if found is not None:
                    return found.concept
        text = code.get("text")
        if not code.get("coding") and isinstance(text, str):
            found = next((r for r in self.rows.values() if r.abbreviation == text), None)
            return found.concept if found is not None else None
        return None


@cache
def local_code_table() -> LocalCodeTable:
    """`local_codes.yaml`, read once."""
    raw = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    rows = {str(loinc): LocalCode(loinc=str(loinc), **row) for loinc, row in raw["codes"].items()}
    return LocalCodeTable(system=str(raw["system"]), rows=rows)


def _recoded(
    code: dict[str, Any], style: Coding, table: LocalCodeTable
) -> tuple[dict[str, Any], LocalCode] | None:
    loinc = next((c.get("code") for c in code.get("coding") or [] if c.get("system") == LOINC), None)
    row = table.rows.get(str(loinc)) if loinc else None
    if row is None:
        return None
    if style == "local":
        return {
            "coding": [{"system": table.system, "code": row.local, "display": row.text}],
            "text": row.text,
        }, row
    return {"text": row.abbreviation}, row


def recode(resource: FhirResource, style: Coding) -> FhirResource:
    """An Observation rewritten in `style` (its components too); other resources and unknown codes as they are."""
    if style == "loinc" or resource.get("resourceType") != "Observation":
        return resource
    table = local_code_table()
    changed = _recoded(resource.get("code") or {}, style, table)
    if changed is None:
        return resource
    resource["code"], row = changed
    quantity = resource.get("valueQuantity")
    if row.unit and isinstance(quantity, dict):
        quantity.update(unit=row.unit, code=row.unit)
    for component in resource.get("component") or []:
        part = _recoded(component.get("code") or {}, style, table)
        if part is not None:
            component["code"] = part[0]
    return resource
