"""Compound indexes for the searches the agent runs on every turn: one patient's rows in date order.

The generic search index answers "Observations of patient P with code C, newest first" by collecting
every matching row and sorting them all: 121 ms for a patient with 20,000 readings, to use 3. A
compound index holds, per resource, its key values (patient, code, ...) and its sort value side by
side, so SQLite walks one B-tree range already in order and stops after `_count` rows.

A search uses a compound index when it sorts by the index's sort parameter and gives exactly one value
for each key parameter (a reference with its type; a token with a code). Its other criteria still
apply, row by row. Token keys are stored both as `system|code` and as `*|code` (any system), so a
code without a system uses the index too; ordering ties fall back to insertion order, as everywhere.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tools.sandbox.indexing import IndexRow
from tools.sandbox.registry import RESOURCES
from tools.sandbox.search import Criterion, ReferenceMatch, SearchQuery, TokenMatch

NO_DATE_DESC = ""
"""Sort value of a resource without the sort parameter when sorting descending: after every date."""
NO_DATE_ASC = "~"
"""The same when sorting ascending ('~' sorts after every ISO date): missing values always come last."""
ANY_SYSTEM = "*"


@dataclass(frozen=True)
class CompoundIndex:
    """Equality keys (reference or token parameters, at most two) and one date parameter to sort by."""

    name: str
    resource_type: str
    keys: tuple[str, ...]
    sort: str


COMPOUND_INDEXES: tuple[CompoundIndex, ...] = (
    CompoundIndex("observation-patient-code-date", "Observation", ("patient", "code"), "date"),
    CompoundIndex("observation-patient-date", "Observation", ("patient",), "date"),
    CompoundIndex("appointment-patient-date", "Appointment", ("patient",), "date"),
    CompoundIndex("slot-schedule-status-start", "Slot", ("schedule", "status"), "start"),
    CompoundIndex("medicationrequest-patient-authoredon", "MedicationRequest", ("patient",), "authoredon"),
)
"""What the agent's tools sort and filter on (`tools.record.PatientRecord`)."""

for _index in COMPOUND_INDEXES:  # a typo here would silently never match
    _params = RESOURCES[_index.resource_type].params
    assert all(_params[key].kind in ("reference", "token") for key in _index.keys), _index
    assert _params[_index.sort].kind == "date" and 1 <= len(_index.keys) <= 2, _index


@dataclass(frozen=True)
class CompoundRow:
    """One row of `compound_index`: keys `k1`/`k2` ('' when unused) and both sort values."""

    name: str
    k1: str
    k2: str
    sort_asc: str
    sort_desc: str


def _key_values(param: str, kind: str, rows: Sequence[IndexRow]) -> list[str]:
    values: list[str] = []
    for row in rows:
        if row.param != param or row.code is None:
            continue
        if kind == "reference":
            values.append(f"{row.system}/{row.code}")
        else:
            values.extend((f"{row.system or ''}|{row.code}", f"{ANY_SYSTEM}|{row.code}"))
    return list(dict.fromkeys(values))


def compound_rows(resource_type: str, rows: Sequence[IndexRow]) -> list[CompoundRow]:
    """The compound rows of one resource, from its search-index rows."""
    out: dict[CompoundRow, None] = {}
    params = RESOURCES[resource_type].params if resource_type in RESOURCES else {}
    for index in COMPOUND_INDEXES:
        if index.resource_type != resource_type:
            continue
        dates = [row.lo for row in rows if row.param == index.sort and row.lo is not None]
        sort_asc = min(dates) if dates else NO_DATE_ASC
        sort_desc = max(dates) if dates else NO_DATE_DESC
        keys = [_key_values(key, params[key].kind, rows) for key in index.keys]
        for combination in itertools.product(*keys):
            k1, k2 = (*combination, "")[:2]
            out[CompoundRow(index.name, k1, k2, sort_asc, sort_desc)] = None
    return list(out)


@dataclass(frozen=True)
class CompoundPlan:
    """A search answered through a compound index: its key values and the criteria left to check."""

    index: CompoundIndex
    k1: str
    k2: str
    descending: bool
    rest: tuple[Criterion, ...]


def _key(criterion: Criterion) -> str | None:
    if len(criterion.matches) != 1:
        return None
    match = criterion.matches[0]
    if isinstance(match, ReferenceMatch):
        return f"{match.type}/{match.id}" if match.type is not None else None
    if isinstance(match, TokenMatch) and match.code is not None:
        return f"{ANY_SYSTEM if match.system is None else match.system}|{match.code}"
    return None


def plan(query: SearchQuery) -> CompoundPlan | None:
    """The compound index (most keys first) that can answer `query` in order, if any."""
    if len(query.sort) != 1:
        return None
    sort = query.sort[0]
    candidates = sorted(
        (i for i in COMPOUND_INDEXES if i.resource_type == query.resource_type and i.sort == sort.param.name),
        key=lambda i: -len(i.keys),
    )
    for index in candidates:
        used: list[int] = []
        values: list[str] = []
        for key in index.keys:
            found = next(
                (
                    (n, value)
                    for n, criterion in enumerate(query.criteria)
                    if criterion.param.name == key
                    and n not in used
                    and (value := _key(criterion)) is not None
                ),
                None,
            )
            if found is None:
                break
            used.append(found[0])
            values.append(found[1])
        else:
            rest = tuple(c for n, c in enumerate(query.criteria) if n not in used)
            k1, k2 = (*values, "")[:2]
            return CompoundPlan(index, k1, k2, sort.descending, rest)
    return None


def iter_names(indexes: Iterable[CompoundIndex] = COMPOUND_INDEXES) -> list[tuple[str, ...]]:
    """A description of the indexes for the registry fingerprint (a change re-indexes old databases)."""
    return [(i.name, i.resource_type, *i.keys, i.sort) for i in indexes]
