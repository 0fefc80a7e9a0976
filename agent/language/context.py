"""Our ConText component (Chapman et al.; the algorithm medspaCy implements) on spaCy 3.8.

Triggers from `data/context.yaml` are matched on normalised tokens. Each trigger has a category and a
direction and modifies the targets inside its scope: from the trigger forward, backward or both, to the
end of its sentence and at most `max_scope` tokens, cut short by a `terminate` phrase of its category (or
of ANY) and by a comma that does not merely separate listed concepts. Where triggers overlap the longest
wins, so PSEUDO phrases ("not only", "no increase") block the triggers inside them. A non-experiencer
trigger inside a target's own words ("can't breathe") is part of the concept, not a trigger.

Whose experience a target is follows the nearest experiencer cue in scope: an OTHER_EXPERIENCER trigger
("my wife", "he") or a SELF word ("my", "I"), so "my wife says my sugar is high" is the patient's sugar;
a cue inside the target's own words decides first ("I told her my chest hurts", "one side of his face").
SELF words also end NEGATED_EXISTENCE, INFORMATIONAL and GENERIC scopes (a new clause about the patient).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, cast, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field
from spacy.language import Language
from spacy.tokens import Doc

from agent.language.models import Category, Experiencer, Mention, Modifier
from agent.language.phrases import PhraseIndex
from agent.language.targets import TargetHit

CONTEXT_PATH = Path(__file__).with_name("data") / "context.yaml"

Direction = Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"]
RuleCategory = Category | Literal["ANY"]
_DIRECTIONS: dict[str, Direction] = {d.lower(): d for d in get_args(Direction)}
_ENDED_BY_SELF: frozenset[str] = frozenset({"NEGATED_EXISTENCE", "INFORMATIONAL", "GENERIC"})
_EXPERIENCER: frozenset[str] = frozenset({"OTHER_EXPERIENCER", "SELF"})
_FLAGS: dict[str, str] = {
    "NEGATED_EXISTENCE": "negated",
    "HISTORICAL": "historical",
    "HYPOTHETICAL": "hypothetical",
    "INFORMATIONAL": "informational",
    "POSSIBLE": "possible",
    "GENERIC": "generic",
}


@dataclass(frozen=True)
class ContextRule:
    """One trigger phrase: its category, direction and (experiencer only) the relation it names."""

    literal: str
    category: RuleCategory
    direction: Direction
    relation: str | None = None


class ContextRules(BaseModel):
    """The parsed `context.yaml`: rules, scope limits and the words that join listed concepts."""

    model_config = ConfigDict(frozen=True)

    rules: tuple[ContextRule, ...]
    max_scope: dict[str, int] = Field(default_factory=dict)
    list_words: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path = CONTEXT_PATH) -> ContextRules:
        """Read the YAML (see its header for the format) and validate categories and directions."""
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        categories = {*get_args(Category), "ANY"}
        rules: list[ContextRule] = []
        for category, body in raw.items():
            if category in {"version", "max_scope", "list_words"}:
                continue
            if category not in categories:
                raise ValueError(f"{path}: unknown ConText category {category!r}")
            for direction_name, phrases in (body or {}).items():
                direction = _DIRECTIONS.get(str(direction_name))
                if direction is None:
                    raise ValueError(f"{path}: {category}: unknown direction {direction_name!r}")
                groups = phrases.items() if isinstance(phrases, dict) else [(None, phrases)]
                for relation, literals in groups:
                    for literal in literals or []:
                        if not isinstance(literal, str):
                            raise ValueError(
                                f"{path}: {category}: {literal!r} is not text; quote it (YAML reads no/on as booleans)"
                            )
                        rules.append(
                            ContextRule(str(literal), cast(RuleCategory, category), direction, relation)
                        )
        return cls(
            rules=tuple(rules),
            max_scope={str(k): int(v) for k, v in (raw.get("max_scope") or {}).items()},
            list_words=frozenset(str(w) for w in raw.get("list_words") or []),
        )


@lru_cache(maxsize=1)
def shipped_rules() -> ContextRules:
    """The shipped ConText rules, read once."""
    return ContextRules.load()


@dataclass(frozen=True)
class Trigger:
    """A trigger found in a doc, with its token span and scope [scope_start, scope_end) pieces."""

    rule: ContextRule
    start: int
    end: int
    before: tuple[int, int] = (0, 0)
    after: tuple[int, int] = (0, 0)

    def covers(self, start: int, end: int) -> bool:
        """Whether target tokens [start, end) overlap the trigger's scope or lie inside the trigger."""
        inside = self.start <= start and end <= self.end
        return inside or any(a < end and start < b for a, b in (self.before, self.after))

    def distance(self, start: int, end: int) -> int:
        """Tokens between the trigger and a target (0 when adjacent, overlapping or inside)."""
        return max(0, start - self.end, self.start - end)


class ConTextComponent:
    """Pipeline component: reads `doc._.targets`, writes `doc._.mentions` (typed, with ConText flags)."""

    def __init__(self, nlp: Language, rules: ContextRules | None = None) -> None:
        self.rules = rules or shipped_rules()
        self.index: PhraseIndex[ContextRule] = PhraseIndex(nlp)
        for rule in self.rules.rules:
            self.index.add(rule.literal, rule)

    def triggers(self, doc: Doc, targets: Sequence[TargetHit]) -> list[Trigger]:
        """Triggers of `doc` after overlap resolution, with their scopes."""
        found = sorted(
            {(h.start, h.end, h.payload) for h in self.index(doc)},
            key=lambda t: (-(t[1] - t[0]), t[0]),
        )
        kept: list[tuple[int, int, ContextRule]] = []
        for start, end, rule in found:
            clash = [k for k in kept if start < k[1] and k[0] < end]
            if all(k[0] == start and k[1] == end for k in clash):
                kept.append((start, end, rule))
        live = [
            (s, e, r)
            for s, e, r in kept
            if r.direction != "PSEUDO"
            and (r.category in _EXPERIENCER or not any(t.start <= s and e <= t.end for t in targets))
        ]
        stops = self._stops(doc, live, targets)
        scoped = []
        for start, end, rule in live:
            if rule.direction == "TERMINATE":
                continue
            stop = stops.get(rule.category, stops["ANY"])
            limit = self.rules.max_scope.get(rule.category, 8)
            sentence = doc[start].sent
            before = after = (start, start)
            if rule.direction in ("BACKWARD", "BIDIRECTIONAL"):
                first = start
                while first > sentence.start and start - first < limit and not stop[first - 1]:
                    first -= 1
                before = (first, start)
            if rule.direction in ("FORWARD", "BIDIRECTIONAL"):
                last = end
                while last < sentence.end and last - end < limit and not stop[last]:
                    last += 1
                after = (end, last)
            scoped.append(Trigger(rule, start, end, before, after))
        return sorted(scoped, key=lambda t: t.start)

    def _stops(
        self, doc: Doc, live: Iterable[tuple[int, int, ContextRule]], targets: Sequence[TargetHit]
    ) -> dict[str, list[bool]]:
        """Per category, which tokens end a scope: terminators, semicolons, commas outside lists."""
        starts = {t.start for t in targets}
        ends = {t.end for t in targets}
        base = [False] * len(doc)
        for token in doc:
            if token.text == ";":
                base[token.i] = True
            elif token.text == ",":
                nxt = token.i + 1
                if nxt < len(doc) and doc[nxt].lower_ in self.rules.list_words:
                    nxt += 1
                base[token.i] = not (token.i in ends and nxt in starts)
        stops: dict[str, list[bool]] = {"ANY": base}
        for category in get_args(Category):
            stops[category] = list(base)
        for start, end, rule in live:
            ended: Iterable[str] = ()
            if rule.direction == "TERMINATE":
                ended = get_args(Category) if rule.category == "ANY" else (rule.category,)
            elif rule.category == "SELF":
                ended = _ENDED_BY_SELF
            for category in ended:
                for i in range(start, end):
                    stops[category][i] = True
        return stops

    def __call__(self, doc: Doc) -> Doc:
        """Assign ConText flags to every target; add a `person` mention per named relation."""
        targets: list[TargetHit] = doc._.targets or []
        triggers = self.triggers(doc, targets)
        mentions = [self._mention(doc, hit, triggers, targets) for hit in targets]
        mentions.extend(self._people(doc, triggers, targets))
        doc._.mentions = sorted(mentions, key=lambda m: (m.start, m.end, m.kind))
        return doc

    def _mention(
        self, doc: Doc, hit: TargetHit, triggers: Sequence[Trigger], targets: Sequence[TargetHit]
    ) -> Mention:
        span = hit.span(doc)
        flags: dict[str, bool] = {}
        modifiers: list[Modifier] = []
        experiencer: tuple[int, Trigger] | None = None
        for trigger in triggers:
            if not trigger.covers(hit.start, hit.end):
                continue
            category = trigger.rule.category
            words = doc[trigger.start : trigger.end]
            if category in _FLAGS:
                flags[_FLAGS[category]] = True
                modifiers.append(
                    Modifier(category=category, text=words.text, start=words.start_char, end=words.end_char)
                )
            elif category in _EXPERIENCER:
                inside = hit.start <= trigger.start and trigger.end <= hit.end
                rank = -2 if inside else trigger.distance(hit.start, hit.end) * 2 + (category == "SELF")
                if experiencer is None or rank < experiencer[0]:
                    experiencer = (rank, trigger)
        if flags.get("generic") and experiencer is not None and experiencer[0] == -2:
            if experiencer[1].rule.category == "SELF":
                flags.pop("generic")  # "everyone would be better off without me" is about the patient
                modifiers = [m for m in modifiers if m.category != "GENERIC"]
        who = Experiencer()
        if experiencer is not None and experiencer[1].rule.category == "OTHER_EXPERIENCER":
            trigger = experiencer[1]
            who = self._other(doc, trigger, targets)
            words = doc[trigger.start : trigger.end]
            modifiers.append(
                Modifier(
                    category="OTHER_EXPERIENCER", text=words.text, start=words.start_char, end=words.end_char
                )
            )
        return Mention(
            concept_id=hit.key.concept_id,
            kind=hit.key.kind,
            text=span.text,
            start=span.start_char,
            end=span.end_char,
            experiencer=who,
            modifiers=tuple(modifiers),
            source=hit.key.source,
            **flags,
        )

    @staticmethod
    def _other(doc: Doc, trigger: Trigger, targets: Sequence[TargetHit]) -> Experiencer:
        """The other person a trigger names: relation, and a capitalised name right after ("my wife Uma")."""
        relation = trigger.rule.relation
        if relation in (None, "other"):
            return Experiencer(who="other")
        name = None
        i = trigger.end
        if i < len(doc) and doc[i].text == ",":
            i += 1
        starts = {t.start for t in targets}
        if i < len(doc):
            token = doc[i]
            if (
                token.is_alpha
                and token.is_title
                and not token.is_stop
                and not token.is_sent_start
                and i not in starts
            ):
                name = token.text
        return Experiencer(who="other", relation=relation, name=name)

    def _people(self, doc: Doc, triggers: Sequence[Trigger], targets: Sequence[TargetHit]) -> list[Mention]:
        """A `person` mention for each relation named ("my wife Uma" -> person `wife`, name Uma)."""
        people = []
        for trigger in triggers:
            if trigger.rule.category != "OTHER_EXPERIENCER" or trigger.rule.relation in (None, "other"):
                continue
            who = self._other(doc, trigger, targets)
            words = doc[trigger.start : trigger.end]
            end_char = words.end_char
            if who.name is not None:
                end_char = doc.text.index(who.name, words.end_char) + len(who.name)
            people.append(
                Mention(
                    concept_id=str(trigger.rule.relation),
                    kind="person",
                    text=doc.text[words.start_char : end_char],
                    start=words.start_char,
                    end=end_char,
                    experiencer=who,
                    source="context",
                )
            )
        return people
