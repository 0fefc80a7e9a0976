"""Search requests are sized to what the tool needs."""

from __future__ import annotations

import pytest

from tools.fhir import MAX_PAGE_SIZE, sized


@pytest.mark.parametrize(
    ("params", "limit", "elements", "expected"),
    [
        ([("code", "x")], 3, (), [("code", "x"), ("_count", "3")]),
        ([], 200, (), [("_count", str(MAX_PAGE_SIZE))]),
        ([("_count", "7")], 3, (), [("_count", "7")]),  # the caller's own _count wins
        ([], 0, (), [("_count", "1")]),
        ([], 10, ("actor", "specialty"), [("_count", "10"), ("_elements", "actor,specialty")]),
        ([("_elements", "id")], 10, ("actor",), [("_elements", "id"), ("_count", "10")]),
    ],
)
def test_search_parameters_are_sized(
    params: list[tuple[str, str]], limit: int, elements: tuple[str, ...], expected: list[tuple[str, str]]
) -> None:
    assert sized(params, limit, elements) == expected
