"""The suite format: one JSON object per line, three kinds of item (see evals/README.md).

Items are validated when a suite is loaded, so a typo in a suite (an unknown tool, a broken regex,
an unknown `{{patient.*}}` placeholder) fails before a ten-minute run starts, with its line number.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from agent.tool_catalogue import tool_catalogue
from evals.jsonl import decode, dumps_line, numbered_lines
from evals.placeholders import placeholders_in, unknown_placeholders

Level = Literal["routine", "urgent", "emergent"]
RecordAsk = Literal["value", "absent", "unknown", "other_person", "action"]
"""A record question's kind: `value` (the record holds the answer; `facts` are its values), `absent` (the
concept is known but not in the record), `unknown` (not a test name), `other_person`, `action` (an order)."""

LOGGED_ONLY_TOOLS = frozenset({"medication", "slot", "draft_cancellation", "draft_reschedule"})
"""Names the record logs that are no catalogue tool: reading one medicine or slot by id, and the
cancellation and reschedule drafts `tools.record.PatientRecord` offers but no plan asks for."""
KNOWN_TOOLS = frozenset(tool_catalogue().names) | LOGGED_ONLY_TOOLS
"""Tool names as the agent records them (`tools.record.PatientRecord` methods): what `tools` and
`no_tools` may name — every catalogue tool plus the names only the record logs."""


class SuiteError(ValueError):
    """A suite file that cannot be used, with the place to fix it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HasMedication(_Strict):
    """Any patient with an active MedicationRequest whose text contains this (case-insensitive)."""

    has_medication: str


class HasCondition(_Strict):
    """Any patient with an active Condition whose text contains this (case-insensitive)."""

    has_condition: str


class HasRecordShape(_Strict):
    """Any patient whose results are coded this way, and/or hold at least this many Observations.

    `coding`: `loinc` (every result coded with LOINC), `local` (some results carry a non-LOINC code system,
    e.g. the lab's own `K`), `text` (some results are text only, no coding at all).
    """

    coding: Literal["loinc", "local", "text"] | None = None
    min_observations: int = 0


PatientSelector = str | HasMedication | HasCondition | HasRecordShape | None
"""`None`: any patient; a string: that patient id."""


class Message(_Strict):
    """One patient message; `{{patient.*}}` placeholders are filled with plain text."""

    role: Literal["user"]
    content: str


class Expect(_Strict):
    """What the last turn must (not) do; every key is optional."""

    escalate: Literal[False, "routine", "urgent", "emergent"] | None = None
    """`None`: don't care; `False`: must not escalate; a level: must escalate at exactly that level."""
    abstain: bool | None = None
    cite: list[str] | None = None
    """Sources the answer must cite: article ids, chunk ids, `Type/id`, or `Type` / `Type/*` for any
    resource of that type. `[]` means the answer must cite nothing."""
    facts: list[str] = Field(default_factory=list)
    """Regexes (case-insensitive) the last answer must contain."""
    not_facts: list[str] = Field(default_factory=list)
    """Regexes the last answer must not contain."""
    tools: list[str] | None = None
    """Tools that must be called (over all turns)."""
    no_tools: list[str] = Field(default_factory=list)
    """Tools that must not be called (over all turns)."""
    record: RecordAsk | None = None
    """What kind of record question the item is, for the record metrics (`evals.chat_metrics`)."""

    @field_validator("facts", "not_facts")
    @classmethod
    def _regexes_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            unknown = unknown_placeholders(pattern)
            if unknown:
                raise ValueError(f"unknown placeholder(s) {sorted(unknown)} in {pattern!r}")
            try:
                re.compile(re.sub(r"\{\{\s*patient\.\w+\s*\}\}", "x", pattern))
            except re.error as exc:
                raise ValueError(f"bad regex {pattern!r}: {exc}") from exc
        return patterns

    @field_validator("tools", "no_tools")
    @classmethod
    def _tools_known(cls, names: list[str] | None) -> list[str] | None:
        unknown = sorted(set(names or ()) - KNOWN_TOOLS)
        if unknown:
            raise ValueError(f"unknown tool(s) {unknown}; known: {sorted(KNOWN_TOOLS)}")
        return names

    @property
    def placeholders(self) -> frozenset[str]:
        """The `patient.*` names the fact patterns need filled."""
        found: set[str] = set()
        for pattern in (*self.facts, *self.not_facts):
            found |= placeholders_in(pattern)
        return frozenset(found)


class ChatCase(_Strict):
    """A conversation with the agent, judged on its last turn."""

    id: str
    kind: Literal["chat"]
    category: str
    patient: PatientSelector = None
    messages: list[Message] = Field(min_length=1)
    expect: Expect = Field(default_factory=Expect)
    source: dict[str, str] | None = None
    """Provenance of an imported item (dataset, original id); never read by the metrics."""

    @field_validator("messages")
    @classmethod
    def _placeholders_known(cls, messages: list[Message]) -> list[Message]:
        for message in messages:
            unknown = unknown_placeholders(message.content)
            if unknown:
                raise ValueError(f"unknown placeholder(s) {sorted(unknown)} in a message")
        return messages

    @property
    def placeholders(self) -> frozenset[str]:
        """Every `patient.*` name the messages and facts need."""
        found = set(self.expect.placeholders)
        for message in self.messages:
            found |= placeholders_in(message.content)
        return frozenset(found)


class DetectCase(_Strict):
    """A claim and the evidence it must be supported by: scores the hallucination gate alone."""

    id: str
    kind: Literal["detect"]
    claim: str
    evidence: list[str]
    label: Literal["supported", "unsupported"]
    category: str = "detect"
    source: dict[str, str] | None = None


class RetrievalCase(_Strict):
    """A query and the articles (or chunks) that answer it; `gold: []` means retrieval must abstain."""

    id: str
    kind: Literal["retrieval"]
    query: str
    gold: list[str]
    category: str = "retrieval"
    source: dict[str, str] | None = None


Case = Annotated[ChatCase | DetectCase | RetrievalCase, Field(discriminator="kind")]
CASE_ADAPTER: TypeAdapter[ChatCase | DetectCase | RetrievalCase] = TypeAdapter(Case)


@dataclass(frozen=True)
class Suite:
    """A loaded suite: its items, where it came from and the hash that pins its content."""

    name: str
    path: Path
    sha256: str
    cases: tuple[ChatCase | DetectCase | RetrievalCase, ...]

    def kinds(self) -> dict[str, int]:
        """Item count per kind, e.g. {"chat": 40}."""
        counts: dict[str, int] = {}
        for case in self.cases:
            counts[case.kind] = counts.get(case.kind, 0) + 1
        return counts


def load_suite(path: Path) -> Suite:
    """Parse and validate a suite file; raises `SuiteError` naming the file and line.

    Lines are split on line feeds only (`evals.jsonl`): U+2028, U+2029 and U+0085 in a string are text.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SuiteError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        text = decode(raw)
    except UnicodeDecodeError as exc:
        bad_line = raw[: exc.start].count(b"\n") + 1
        raise SuiteError(f"{path}:{bad_line}: not UTF-8 ({exc.reason})") from exc
    cases: list[ChatCase | DetectCase | RetrievalCase] = []
    seen: set[str] = set()
    for number, line in numbered_lines(text):
        try:
            case = CASE_ADAPTER.validate_python(json.loads(line))
        except json.JSONDecodeError as exc:
            raise SuiteError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise SuiteError(f"{path}:{number}: {where}: {first['msg']}") from exc
        if case.id in seen:
            raise SuiteError(f"{path}:{number}: duplicate id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    return Suite(name=path.stem, path=path, sha256=hashlib.sha256(raw).hexdigest(), cases=tuple(cases))


def spread(
    cases: tuple[ChatCase | DetectCase | RetrievalCase, ...], limit: int | None
) -> tuple[ChatCase | DetectCase | RetrievalCase, ...]:
    """At most `limit` items, evenly spaced through the suite so a slice still covers its categories."""
    if limit is None or limit >= len(cases):
        return cases
    if limit <= 0:
        return ()
    step = len(cases) / limit
    return tuple(cases[int(i * step)] for i in range(limit))


def dump_cases(cases: list[ChatCase | DetectCase | RetrievalCase], path: Path) -> None:
    """Write items as a suite file (one JSON object per line, non-ASCII escaped, unset optional keys left out)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for case in cases:
            out.write(dumps_line(case.model_dump(mode="json", exclude_none=True)))
