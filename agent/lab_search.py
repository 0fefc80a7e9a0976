"""Find a lab or vital in the patient's record however the record codes it, and say when the search was whole.

First by the concept's LOINC codes (one indexed search each, newest first). When none match, every
Observation of the record is read, newest first, and each coding (local code, display, `code.text`) is
resolved against the concept table (`tools.concepts.resolve`): a potassium coded `K` is found. Only a
search that read the whole record may say "not in your record"; one that stopped early says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools import views
from tools.clock import TimeWindow
from tools.concepts.observations import observation_table
from tools.concepts.resolve import RecordCoding, resolve_codings
from tools.record import PatientRecord

SCAN_LIMIT = 5000
"""Observations read when the codes found nothing; a record with more is searched only this deep."""


@dataclass(frozen=True)
class LabSearch:
    """What a search for one concept found, and whether it covered the whole record."""

    found: list[views.Observation]
    complete: bool


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
    return LabSearch(found=found[:limit], complete=complete)


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
