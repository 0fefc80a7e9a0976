"""Parse FHIR search parameters into a typed query, refusing anything the server would not honour.

A search server that silently drops a parameter it does not know returns *more* than was asked
for, which for a patient-facing agent can mean another patient's data or a wrong answer. So every
unknown parameter, modifier or prefix is a 400 that names it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from tools.sandbox.dates import parse_date_range
from tools.sandbox.indexing import normalize_text, parse_reference
from tools.sandbox.outcome import BadRequest, NotSupported
from tools.sandbox.registry import ResourceSpec, SearchParam

DEFAULT_COUNT = 50
MAX_COUNT = 1000
RESULT_PARAMS = ("_count", "_offset", "_sort", "_elements", "_summary")
SUMMARY_MODES = ("count", "false")
"""`_summary=true|text|data` need per-type summary definitions this server does not have: refused."""
ELEMENT_NAME = re.compile(r"^[a-z][A-Za-z0-9]*$")
DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le")
STRING_MODIFIERS = ("exact", "contains")
ID_PATTERN = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_TYPE_NAME = re.compile(r"^[A-Z][A-Za-z]+$")


@dataclass(frozen=True)
class TokenMatch:
    """`system|code`; `system=None` means any system, `""` means no system; `code=None` any code."""

    system: str | None
    code: str | None


@dataclass(frozen=True)
class ReferenceMatch:
    """A reference target; `type=None` matches the id under any type."""

    type: str | None
    id: str


@dataclass(frozen=True)
class DateMatch:
    """A prefixed date range, e.g. `ge2024-01` is `("ge", "2024-01-01T00:00...", "2024-02-01T...")`."""

    prefix: str
    lo: str
    hi: str


@dataclass(frozen=True)
class StringMatch:
    """Normalised text for prefix/contains matching, or the literal value for `:exact`."""

    value: str
    mode: Literal["prefix", "exact", "contains"]


Match = TokenMatch | ReferenceMatch | DateMatch | StringMatch


@dataclass(frozen=True)
class Criterion:
    """One search parameter occurrence: a resource matches when any of `matches` does."""

    param: SearchParam
    matches: tuple[Match, ...]


@dataclass(frozen=True)
class SortKey:
    """One `_sort` element."""

    param: SearchParam
    descending: bool


@dataclass(frozen=True)
class SearchQuery:
    """A parsed search: criteria are ANDed, each criterion's values ORed."""

    resource_type: str
    criteria: tuple[Criterion, ...] = ()
    sort: tuple[SortKey, ...] = ()
    count: int = DEFAULT_COUNT
    offset: int = 0
    elements: tuple[str, ...] = ()
    """`_elements`: the top-level elements to return (plus `id` and `meta`); empty means all."""
    summary: str | None = None
    """`_summary`: `count` (the total only) or `false` (everything, the default)."""


def split_escaped(value: str, separator: str) -> list[str]:
    r"""Split on `separator` where it is not escaped with a backslash; escapes are kept (see `unescape`)."""
    parts: list[str] = []
    current: list[str] = []
    chars = iter(value)
    for ch in chars:
        if ch == "\\":
            current.extend((ch, next(chars, "")))
        elif ch == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def unescape(value: str) -> str:
    r"""Drop search escapes: `a\,b` is the value `a,b`."""
    return re.sub(r"\\(.)", r"\1", value)


def _token(param: SearchParam, raw: str) -> TokenMatch:
    pieces = split_escaped(raw, "|")
    if len(pieces) == 1:
        return TokenMatch(None, unescape(raw))
    system, code = unescape(pieces[0]), unescape("|".join(pieces[1:]))
    if not system and not code:
        raise BadRequest(f"Search parameter '{param.name}' has the empty token '|'")
    return TokenMatch(system, code or None)


def _reference(param: SearchParam, raw: str, type_modifier: str | None) -> ReferenceMatch:
    parsed = parse_reference(raw) if "/" in raw else None
    if "/" in raw and parsed is None:
        raise BadRequest(f"Search parameter '{param.name}' has '{raw}', which is not `id` or `Type/id`")
    ref_type, ref_id = parsed if parsed else (type_modifier, raw)
    if type_modifier and ref_type != type_modifier:
        raise BadRequest(f"Search parameter '{param.name}:{type_modifier}' has a reference to {ref_type}")
    if ref_type is None and len(param.targets) == 1:
        ref_type = param.targets[0]
    if ref_type is not None and param.targets and ref_type not in param.targets:
        raise BadRequest(
            f"Search parameter '{param.name}' refers to {', '.join(param.targets)}, not {ref_type}"
        )
    if not ID_PATTERN.match(ref_id):
        raise BadRequest(f"Search parameter '{param.name}' has '{ref_id}', which is not a FHIR id")
    return ReferenceMatch(ref_type, ref_id)


def _date(param: SearchParam, raw: str) -> DateMatch:
    prefix, value = (raw[:2], raw[2:]) if raw[:2].isalpha() and raw[2:3].isdigit() else ("eq", raw)
    if prefix not in DATE_PREFIXES:
        raise BadRequest(
            f"Search parameter '{param.name}' has the prefix '{prefix}'; supported: {', '.join(DATE_PREFIXES)}"
        )
    try:
        span = parse_date_range(value.replace(" ", "+"))  # an unencoded '+' in a zone arrives as a space
    except ValueError as exc:
        raise BadRequest(f"Search parameter '{param.name}': {exc}") from exc
    return DateMatch(prefix, span.lo, span.hi)


def _string(raw: str, modifier: str | None) -> StringMatch:
    if modifier == "exact":
        return StringMatch(raw, "exact")
    return StringMatch(normalize_text(raw), "contains" if modifier == "contains" else "prefix")


def _check_modifier(param: SearchParam, modifier: str | None) -> None:
    if modifier is None:
        return
    if param.kind == "string" and modifier in STRING_MODIFIERS:
        return
    if (
        param.kind == "reference"
        and _TYPE_NAME.match(modifier)
        and (not param.targets or modifier in param.targets)
    ):
        return
    raise NotSupported(
        f"Modifier ':{modifier}' is not supported on search parameter '{param.name}' ({param.kind})"
    )


def _criterion(param: SearchParam, modifier: str | None, raw: str) -> Criterion:
    _check_modifier(param, modifier)
    matches: list[Match] = []
    for value in split_escaped(raw, ","):
        if not value:
            raise BadRequest(f"Search parameter '{param.name}' has an empty value")
        if param.kind == "token":
            matches.append(_token(param, value))
        elif param.kind == "reference":
            matches.append(_reference(param, unescape(value), modifier))
        elif param.kind == "date":
            matches.append(_date(param, unescape(value)))
        else:
            matches.append(_string(unescape(value), modifier))
    return Criterion(param, tuple(matches))


def _int(name: str, raw: str, low: int, high: int | None) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"Parameter '{name}' must be an integer, got '{raw}'") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise BadRequest(f"Parameter '{name}' must be {bound}, got {value}")
    return value


def _sort(spec: ResourceSpec, raw: str) -> tuple[SortKey, ...]:
    keys: list[SortKey] = []
    for item in raw.split(","):
        name = item.removeprefix("-")
        param = spec.params.get(name)
        if param is None or not param.sortable:
            sortable = sorted(p.name for p in spec.params.values() if p.sortable)
            raise BadRequest(f"Cannot sort {spec.type} by '{name}'; sortable: {', '.join(sortable)}")
        keys.append(SortKey(param, item.startswith("-")))
    return tuple(keys)


def _elements(raw: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(name.strip() for name in raw.split(",")))
    bad = [name for name in names if not ELEMENT_NAME.match(name)]
    if bad:
        raise BadRequest(
            f"Parameter '_elements' takes top-level element names, not {', '.join(map(repr, bad))}"
        )
    return names


def _summary(raw: str) -> str:
    if raw not in SUMMARY_MODES:
        raise NotSupported(
            f"_summary={raw} is not supported; supported: {', '.join(SUMMARY_MODES)} (or use _elements)"
        )
    return raw


def parse_search(spec: ResourceSpec, pairs: Sequence[tuple[str, str]]) -> SearchQuery:
    """A `SearchQuery` for `spec`'s type from decoded query pairs.

    Raises:
        BadRequest: an unknown parameter, bad value, or paging out of bounds.
        NotSupported: a known parameter with a modifier this server does not implement.
    """
    criteria: list[Criterion] = []
    results: dict[str, str] = {}
    for key, raw in pairs:
        name, colon, modifier = key.partition(":")
        if colon and not modifier:
            raise BadRequest(f"Search parameter '{key}' has an empty modifier")
        if name in RESULT_PARAMS:
            if modifier or name in results:
                raise BadRequest(f"Parameter '{key}' may appear once, without a modifier")
            results[name] = raw
            continue
        param = spec.params.get(name)
        if param is None:
            known = ", ".join([*sorted(spec.params), *RESULT_PARAMS])
            raise BadRequest(f"Unknown search parameter '{name}' for {spec.type}; supported: {known}")
        if raw == "":
            raise BadRequest(f"Search parameter '{key}' has an empty value")
        criteria.append(_criterion(param, modifier or None, raw))
    return SearchQuery(
        resource_type=spec.type,
        criteria=tuple(criteria),
        sort=_sort(spec, results["_sort"]) if "_sort" in results else (),
        count=_int("_count", results["_count"], 0, MAX_COUNT) if "_count" in results else DEFAULT_COUNT,
        offset=_int("_offset", results["_offset"], 0, None) if "_offset" in results else 0,
        elements=_elements(results["_elements"]) if "_elements" in results else (),
        summary=_summary(results["_summary"]) if "_summary" in results else None,
    )
