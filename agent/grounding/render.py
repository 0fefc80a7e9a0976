"""Flatten a FHIR resource into the plain text a sentence citing it is checked against.

Only what a person reading the record would see: codings' display and text, values with their
units, dates, dosage text and timing, names, notes and the narrative. Codes, systems, ids,
references, identifiers and extensions are left out: "4548-4" in a LOINC code must not be read
as the numbers 4548 and 4 that could "support" a sentence.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

from tools.concepts.named import concept_of_code
from tools.concepts.observations import LOINC_SYSTEM, observation_table

_SKIPPED_KEYS = frozenset(
    {
        "id", "meta", "implicitRules", "language", "identifier", "extension", "modifierExtension",
        "system", "version", "url", "fullUrl", "reference", "type_reference", "userSelected", "use",
        "rank", "sequence", "linkId", "profile",
    }
)  # fmt: skip
_PERIOD_UNITS = {
    "s": "second",
    "min": "minute",
    "h": "hour",
    "d": "day",
    "wk": "week",
    "mo": "month",
    "a": "year",
}
_PER_PERIOD = {"h": "hourly", "d": "daily", "wk": "weekly", "mo": "monthly", "a": "yearly"}
_TIMES = {1: "once", 2: "twice"}


def render_resource_text(resource: Mapping[str, object]) -> str:
    """One line per fact of the resource, in the resource's own order, duplicates removed."""
    lines: list[str] = []
    resource_type = resource.get("resourceType")
    if isinstance(resource_type, str):
        lines.append(_split_camel(resource_type))
    for key, value in resource.items():
        if key == "text" and isinstance(value, Mapping):
            lines.append(_narrative(value))
        elif key != "resourceType":
            lines.extend(_render(key, value))
    if resource_type == "Observation":
        lines.extend(_resolved_names(resource.get("code")))
    return "\n".join(line for line in dict.fromkeys(lines) if line)


def _render(key: str, value: object) -> list[str]:
    if key in _SKIPPED_KEYS:
        return []
    if isinstance(value, bool):
        return ["as needed"] if key == "asNeededBoolean" and value else []
    if isinstance(value, int | float):
        return [_number(value)]
    if isinstance(value, str):
        return [] if value.startswith(("http://", "https://", "urn:")) else [value]
    if isinstance(value, Sequence):
        return [line for item in value for line in _render(key, item)]
    if not isinstance(value, Mapping):
        return []
    special = _special(key, value)
    if special is not None:
        return special
    return [line for k, v in value.items() for line in _render(str(k), v)]


def _special(key: str, value: Mapping[object, object]) -> list[str] | None:
    """Renderings for the data types whose parts only make sense together; None for the rest."""
    if _is_quantity(value):
        return [_quantity(value)]
    if "display" in value and ("code" in value or "system" in value):  # a Coding
        return [str(value["display"]), *_concept_names(value)]
    if "code" in value and "system" in value:  # a Coding with no display: a bare code says nothing
        return []
    if "reference" in value:  # a Reference: only its display is readable
        return [str(value["display"])] if "display" in value else []
    if key == "name" and ("family" in value or "given" in value or "text" in value):
        return [_human_name(value)]
    if "numerator" in value and "denominator" in value:
        return [" per ".join(_render_joined(value[part]) for part in ("numerator", "denominator"))]
    if ("low" in value or "high" in value) and all(
        _is_quantity(value.get(p, {})) for p in ("low", "high") if p in value
    ):
        return [" to ".join(_render_joined(value[p]) for p in ("low", "high") if p in value)]
    if key == "repeat":
        return _timing(value)
    return None


def _concept_names(coding: Mapping[object, object]) -> list[str]:
    """The friendly name our concept table gives a LOINC coding, if any.

    Answers name tests as patients do ("A1c (3-month average blood sugar)"); that reviewed name is as
    much the record's as its display, so a sentence using it is supported by the coding.
    """
    if coding.get("system") != LOINC_SYSTEM or not isinstance(coding.get("code"), str):
        return []
    concept = observation_table().by_loinc(str(coding["code"]))
    return [concept.friendly] if concept is not None else []


def _resolved_names(code: object) -> list[str]:
    """The table's names for the concept an Observation's code resolves to, however it is coded.

    A local code ("K", "GLU") or a bare `code.text` says what the result is as surely as a LOINC code;
    the table bridges it to the words answers use ("potassium result"), so "Your K result was 4.3" and
    "Your potassium result was 4.3" are both found in the resource, for every short name at once.
    """
    concept = concept_of_code(code)
    if concept is None:
        return []
    return [concept.friendly, f"{concept.friendly} result", concept.display]


def _is_quantity(value: object) -> bool:
    return (
        isinstance(value, Mapping)
        and isinstance(value.get("value"), int | float)
        and not isinstance(value.get("value"), bool)
        and "coding" not in value
    )


def _quantity(value: Mapping[object, object]) -> str:
    unit = value.get("unit") or value.get("code") or ""
    comparator = value.get("comparator") or ""
    number = value["value"]
    shown = _number(number) if isinstance(number, int | float) else str(number)
    return f"{comparator}{shown} {unit}".strip()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _render_joined(value: object) -> str:
    return " ".join(_render("", value))


def _human_name(value: Mapping[object, object]) -> str:
    if isinstance(value.get("text"), str):
        return str(value["text"])
    parts: list[str] = []
    for part in ("prefix", "given", "family", "suffix"):
        item = value.get(part)
        if isinstance(item, list):
            parts.extend(str(p) for p in item)
        elif item:
            parts.append(str(item))
    return " ".join(parts)


def _timing(repeat: Mapping[object, object]) -> list[str]:
    """Timing.repeat as words: {frequency: 2, period: 1, periodUnit: d} -> "twice daily"."""
    lines: list[str] = []
    frequency, period, unit = repeat.get("frequency"), repeat.get("period"), repeat.get("periodUnit")
    if isinstance(frequency, int) and isinstance(period, int | float) and isinstance(unit, str):
        unit_word = _PERIOD_UNITS.get(unit, unit)
        times = _TIMES.get(frequency, f"{frequency} times")
        if period == 1:
            lines.append(f"{times} {_PER_PERIOD.get(unit, 'per ' + unit_word)}")
            lines.append(f"{frequency} times per {unit_word}")
        elif frequency == 1:
            lines.append(f"every {_number(period)} {unit_word}s")
        else:
            lines.append(f"{times} every {_number(period)} {unit_word}s")
    for key, value in repeat.items():
        if key not in {"frequency", "period", "periodUnit"}:
            lines.extend(_render(str(key), value))
    return lines


def _narrative(text: Mapping[str, object]) -> str:
    div = text.get("div")
    if not isinstance(div, str):
        return ""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", div))).strip()


def _split_camel(name: str) -> str:
    """Split a type name into words: MedicationRequest -> Medication Request."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
