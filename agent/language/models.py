"""What the language layer hands on: typed mentions with their ConText flags, times and quantities."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from tools.clock import TimeWindow

Kind = Literal[
    "lab_or_vital",
    "medication",
    "condition",
    "symptom",
    "red_flag",
    "allergy",
    "immunization",
    "appointment",
    "specialty",
    "demographic",
    "person",
    "request",
    "aggregate",
]
"""What a mention names. `red_flag` ids are `policy.yaml` flag ids; `person` ids are relations ("wife");
`request` ids are what the patient asks to have done (`refill`, `order`, `record`, `lab_test`); `aggregate` ids
are what a lab question asks of the series (`previous`, `average`, `lowest`, `highest`, `trend`)."""

Category = Literal[
    "NEGATED_EXISTENCE",
    "HISTORICAL",
    "HYPOTHETICAL",
    "INFORMATIONAL",
    "POSSIBLE",
    "OTHER_EXPERIENCER",
    "GENERIC",
    "SELF",
]
"""ConText categories. SELF marks the patient speaking of themselves ("my", "I")."""

Granularity = Literal["instant", "part_of_day", "day", "week", "month", "year", "duration", "range"]


class Frozen(BaseModel):
    """Immutable value objects: safe to share, cache and compare."""

    model_config = ConfigDict(frozen=True)


class Experiencer(Frozen):
    """Whose experience a mention is: the patient's, or someone else's (with relation and name if said)."""

    who: Literal["patient", "other"] = "patient"
    relation: str | None = None
    """"wife", "son", "friend", ...; None for a bare pronoun ("he", "she")."""
    name: str | None = None
    """The other person's name when the message gives it ("my wife Uma" -> "Uma")."""


class Modifier(Frozen):
    """A ConText trigger that modified a mention: its category and the words, for traces and tests."""

    category: Category
    text: str
    start: int
    end: int


class Mention(Frozen):
    """A concept named in the message, where, and in what context.

    `start`/`end` are character offsets into the analysed text. A mention is `current` when nothing says it
    is negated, past, hypothetical, asked about in general, uncertain or about people in general; whose it
    is lives in `experiencer` (a caregiver's "his face is drooping" is current and `other`).
    """

    concept_id: str
    kind: Kind
    text: str
    start: int
    end: int
    negated: bool = False
    historical: bool = False
    hypothetical: bool = False
    informational: bool = False
    possible: bool = False
    generic: bool = False
    """About people in general ("patients over 60", "people with diabetes"): a guidance question, not
    another person's request."""
    experiencer: Experiencer = Experiencer()
    modifiers: tuple[Modifier, ...] = ()
    source: str = ""
    """Which target-rule source produced it ("observations", "policy", ...)."""

    @property
    def current(self) -> bool:
        """Asserted now: not negated, historical, hypothetical, informational or generic."""
        return not (
            self.negated or self.historical or self.hypothetical or self.informational or self.generic
        )

    @property
    def about_patient(self) -> bool:
        """The patient's own (not someone else's, not people in general)."""
        return self.experiencer.who == "patient" and not self.generic


class TimeExpression(Frozen):
    """A time phrase of the message ("last 6 months", "in january") and the window it means."""

    text: str
    start: int
    end: int
    rule: str
    """The `times.yaml` rule that recognised it (rolling_back, month, date, since, between, ...)."""
    granularity: Granularity
    window: TimeWindow


Comparator = Literal["<", "<=", ">", ">=", "="]


class Quantity(Frozen):
    """A number in the message with its unit ("62 mg/dL", "118/77", "104 °F") and what it measures."""

    text: str
    start: int
    end: int
    value: float
    value2: float | None = None
    """The second number of a pair ("118/77" -> 77): blood pressure's diastolic."""
    unit: str | None = None
    """UCUM code from `tools/concepts/units.yaml` ("mg/dL", "[degF]"); None when not written."""
    comparator: Comparator | None = None
    """"below 70" -> "<"; None when the number is stated as is."""
    concept_id: str | None = None
    """The mention it belongs to ("sugar is 62" -> glucose), when one is close enough."""
    kind: Kind | None = None


class Analysis(Frozen):
    """Everything the language layer understood in one message."""

    text: str
    mentions: tuple[Mention, ...] = ()
    times: tuple[TimeExpression, ...] = ()
    quantities: tuple[Quantity, ...] = ()

    def of_kind(self, *kinds: Kind) -> tuple[Mention, ...]:
        """Mentions of the given kinds, in text order."""
        return tuple(m for m in self.mentions if m.kind in kinds)

    def current(self, *kinds: Kind) -> tuple[Mention, ...]:
        """Mentions asserted now (see `Mention.current`), optionally of the given kinds."""
        return tuple(m for m in self.mentions if m.current and (not kinds or m.kind in kinds))

    @property
    def others(self) -> tuple[Experiencer, ...]:
        """The other people the message is about, once each."""
        seen = dict.fromkeys(m.experiencer for m in self.mentions if m.experiencer.who == "other")
        return tuple(seen)
