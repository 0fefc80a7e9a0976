"""Read a patient's board through the FHIR gateway (isolation-checked `PatientRecord`), never the database.

The reads run side by side (six searches); the chart search asks only for the board's LOINC codes in the
chosen window, newest first, and stops at `READ_LIMIT` observations: one view is one page of history.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

from tools import views
from tools.concepts.observations import LOINC_SYSTEM, ObservationTable, observation_table
from tools.record import PatientRecord
from ui.console.board.duplicates import duplicate_flags
from ui.console.board.model import Chart, ChartGroupView, PatientBoard, Reading, Series
from ui.console.board.readings import readings_of
from ui.console.board.tables import BoardGroups, board_groups

READ_LIMIT = 2000
"""Most observations one board view reads (the gateway's page bound: 20 pages of 100)."""


def age_on(birth: date | None, today: date) -> int | None:
    """Whole years from `birth` to `today`."""
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def load_board(
    record: PatientRecord,
    since: date | None = None,
    now: datetime | None = None,
    groups: BoardGroups | None = None,
    limit: int = READ_LIMIT,
) -> PatientBoard:
    """Everything the board shows for `record`'s patient; raises `FhirError` when the server cannot answer."""
    now = now or datetime.now(UTC)
    groups = groups or board_groups()
    table = observation_table()
    codes = ",".join(f"{LOINC_SYSTEM}|{code}" for code in sorted(groups.loinc_codes()))
    with ThreadPoolExecutor(max_workers=6, thread_name_prefix="board") as pool:
        summary = pool.submit(record.summary)
        medications = pool.submit(record.active_medications)
        conditions = pool.submit(record.conditions)
        allergies = pool.submit(record.allergies)
        appointments = pool.submit(record.upcoming_appointments, now)
        observations = pool.submit(record.observations, code=codes, since=since, limit=limit)
        found = observations.result()
        meds = tuple(medications.result())
        patient = summary.result()
        return PatientBoard(
            summary=patient,
            age=age_on(patient.birth_date, now.date()),
            groups=chart_groups(found, groups, table),
            medications=meds,
            duplicates=duplicate_flags(meds),
            conditions=tuple(conditions.result()),
            allergies=tuple(allergies.result()),
            appointments=tuple(appointments.result()),
            readings=len(found),
            truncated=len(found) >= limit,
        )


def chart_groups(
    observations: list[views.Observation], groups: BoardGroups, table: ObservationTable
) -> tuple[ChartGroupView, ...]:
    """The observations as charts, one per board concept (a panel's components share its chart)."""
    by_concept: dict[str, list[Reading]] = defaultdict(list)
    for observation in observations:
        for concept, reading in readings_of(observation, table):
            by_concept[concept.id].append(reading)
    shown: list[ChartGroupView] = []
    for group in groups.groups:
        charts: list[Chart] = []
        missing: list[str] = []
        for concept in group.members():
            parts = table.family(concept.id)[1:] or (concept,)
            series = tuple(
                Series(
                    concept_id=part.id,
                    label=part.friendly,
                    unit=part.unit,
                    range=part.range,
                    readings=tuple(sorted(by_concept[part.id], key=lambda r: r.when)),
                )
                for part in parts
                if by_concept.get(part.id)
            )
            if series:
                charts.append(Chart(concept_id=concept.id, title=concept.friendly, series=series))
            else:
                missing.append(concept.friendly)
        shown.append(ChartGroupView(title=group.title, charts=tuple(charts), missing=tuple(missing)))
    return tuple(shown)
