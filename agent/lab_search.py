"""Find a lab or vital in the patient's record however the record codes it, and say when the search was whole.

First by the concept's LOINC codes (one indexed search each, newest first). When none match, every
Observation of the record is read, newest first, and each coding (local code, display, `code.text`) is
resolved against the concept table (`tools.concepts.resolve`): a potassium coded `K` is found. Only a
search that read the whole record may say "not in your record"; one that stopped early says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tools import views
from tools.clock import TimeWindow
from tools.concepts.observations import observation_table
from tools.concepts.resolve import RecordCoding, concept_of, resolve_codings
from tools.record import PatientRecord

SCAN_LIMIT = 5000
"""Observations read when the codes found nothing; a record with more is searched only this deep."""
NOT_A_SYSTEM = frozenset({"vitals", "mental"})
"""Concept-table groups that are not one body system: an absent temperature is not answered with a weight."""
RELATED_LIMIT = 3


@dataclass(frozen=True)
class LabSearch:
    """What a search for one concept found, and whether it covered the whole record."""

    found: list[views.Observation]
    complete: bool
    related: list[views.Observation] = field(default_factory=list)
    """When nothing was found in a complete search: the newest result of each concept of the same panel or
    body system that the record does hold (`related_results`), to name instead of a bare "not found"."""


def _codings(observation: views.Observation) -> list[RecordCoding]:
    code = observation.source.json_body.get("code")
    return RecordCoding.from_codeable_concept(code) if isinstance(code, dict) else []


def _newest_first(observation: views.Observation) -> float:
    return -observation.effective.timestamp() if observation.effective else float("inf")


def _with_newer(
    record: PatientRecord, concept_id: str, found: list[views.Observation]
) -> list[views.Observation]:
    """`found` (by one LOINC code) plus any result of the concept taken since, however it is coded.

    A record may code today's potassium `K` and last month's by LOINC: the latest is today's. Only the
    days since the newest LOINC-coded result are read, so a long record costs no more than a short one.
    """
    newest = found[0].effective
    if newest is None:
        return found
    since = find_series(record, concept_id, TimeWindow(start=newest, end=None)).found
    merged = {o.source.reference: o for o in [*since, *found]}
    return sorted(merged.values(), key=_newest_first)


def find_results(record: PatientRecord, concept_id: str, limit: int = 3) -> LabSearch:
    """The newest `limit` results of `concept_id` (a concept table id) in the record."""
    table = observation_table()
    for concept in table.family(concept_id):
        for code in concept.loinc:
            found = record.observations(code=code, limit=limit)
            if found:
                return LabSearch(found=_with_newer(record, concept_id, found)[:limit], complete=True)
    scanned, complete = record.observations_between(None, None, SCAN_LIMIT)
    present = [c for o in scanned for c in _codings(o)]
    wanted = set(resolve_codings(concept_id, present))
    found = [o for o in scanned if wanted.intersection(_codings(o))]
    related = related_results(concept_id, scanned) if complete and not found else []
    return LabSearch(found=found[:limit], complete=complete, related=related)


def related_results(
    concept_id: str, scanned: Sequence[views.Observation], limit: int = RELATED_LIMIT
) -> list[views.Observation]:
    """The newest result of each other concept of `concept_id`'s group that `scanned` holds, newest first.

    The group is the concept table's clinical group (lipids, kidney, thyroid, ...); panels and the asked
    concept's own family are left out, and so are groups that are no body system (vital signs).
    """
    table = observation_table()
    asked = table.get(concept_id)
    if asked.group in NOT_A_SYSTEM:
        return []
    own = {c.id for c in table.family(concept_id)}
    kin = {
        c.id
        for c in table.concepts.values()
        if c.group == asked.group and c.id not in own and not c.components
    }
    known: dict[RecordCoding, set[str]] = {}
    chosen: dict[str, views.Observation] = {}
    for observation in sorted(scanned, key=_newest_first):
        for coding in _codings(observation):
            if coding not in known:
                known[coding] = {m.concept.id for m in concept_of(coding, table)} & kin
            for concept in known[coding] - chosen.keys():
                chosen[concept] = observation
    unique = {o.source.reference: o for o in chosen.values()}
    return sorted(unique.values(), key=_newest_first)[:limit]


def find_series(record: PatientRecord, concept_id: str, window: TimeWindow | None = None) -> LabSearch:
    """Every result of `concept_id` inside `window` (None: the whole record), newest first.

    An aggregate needs all of them, whatever each is coded as, so the window is read (both bounds in the
    query, every page) and every coding resolved: LOINC-coded and locally coded readings of one concept are
    one series.
    """
    start = window.start if window is not None else None
    end = window.end if window is not None else None
    scanned, complete = record.observations_between(start, end, SCAN_LIMIT)
    present = [c for o in scanned for c in _codings(o)]
    wanted = set(resolve_codings(concept_id, present))
    found = [
        o
        for o in scanned
        if wanted.intersection(_codings(o))
        and (window is None or (o.effective is not None and window.contains(o.effective)))
    ]
    return LabSearch(found=found, complete=complete)
