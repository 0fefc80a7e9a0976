"""Time phrases -> windows on the clinic's clock: span rules from `data/times.yaml`, dates by dateparser.

The pipeline's `TimeMatcher` finds the phrases (no clock needed); `resolve_times` turns them into
`TimeExpression`s for one `Clock` and one direction preference: `past` for record questions ("in january"
= the most recent January), `future` for bookings (the coming January). Windows are half-open
[start, end) in the clinic's timezone; a rolling window ends at now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import dateparser
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span

from agent.language.models import Granularity, TimeExpression
from agent.language.periods import Unit, add_months, clock_time, day_start, granularity, joined, period, shift
from agent.language.timevocab import TimeVocabulary, time_vocabulary
from tools.clock import Clock, TimeWindow

Direction = Literal["past", "future"]


@dataclass(frozen=True)
class TimeSpan:
    """A time phrase found in a doc by one rule (token span [start, end))."""

    rule: str
    start: int
    end: int


class TimeMatcher:
    """Pipeline component: stores the non-overlapping time phrases on `doc._.time_spans`."""

    def __init__(self, nlp: Language, vocabulary: TimeVocabulary | None = None) -> None:
        self.vocabulary = vocabulary or time_vocabulary()
        self.matcher = Matcher(nlp.vocab)
        for rule, patterns in self.vocabulary.patterns().items():
            self.matcher.add(rule, patterns)

    def __call__(self, doc: Doc) -> Doc:
        """Longest phrase first; an earlier one wins a tie."""
        found = [(doc.vocab.strings[m], s, e) for m, s, e in self.matcher(doc)]
        taken: list[TimeSpan] = []
        for rule, start, end in sorted(found, key=lambda f: (-(f[2] - f[1]), f[1])):
            if all(end <= t.start or t.end <= start for t in taken):
                taken.append(TimeSpan(rule, start, end))
        doc._.time_spans = sorted(taken, key=lambda t: t.start)
        return doc


@dataclass
class _Parts:
    """The slot values read off a phrase's tokens."""

    number: int | None = None
    unit: Unit | None = None
    month: int | None = None
    weekday: int | None = None
    relday: int | None = None
    part: str | None = None
    year: int | None = None
    daynum: int | None = None
    lead: str | None = None


class TimeResolver:
    """Turns time phrases of a doc into windows for one clock and direction."""

    def __init__(self, clock: Clock, prefer: Direction, vocabulary: TimeVocabulary | None = None) -> None:
        self.clock = clock
        self.prefer = prefer
        self.vocab = vocabulary or time_vocabulary()
        self.now = clock.now()
        self.week_start = self.vocab.weekday_of.get(self.vocab.week_starts_on, 0)

    def parts(self, span: Span) -> _Parts:
        """Read the slot values of a phrase."""
        vocab, parts = self.vocab, _Parts()
        text = " ".join(t.lower_ for t in span)
        for phrase, offset in sorted(vocab.relday_of.items(), key=lambda kv: -len(kv[0])):
            if f" {phrase} " in f" {text} ":
                parts.relday = offset
                parts.part = vocab.implied_parts.get(phrase)
                break
        for phrase, value in sorted(vocab.numbers.items(), key=lambda kv: -len(kv[0])):
            if parts.number is None and f" {phrase} " in f" {text} ":
                parts.number = value
        if span[0].lower_ in {"last", "next", "this", *vocab.leads}:
            parts.lead = span[0].lower_
        for token in span:
            word = token.lower_
            if token.is_digit and token.shape_ == "dddd" and 1900 <= int(word) <= 2100:
                parts.year = int(word)
            elif token.is_digit and parts.number is None and token.shape_ not in ("dddd",):
                parts.number = int(word)
            if token.shape_ in ("d", "dd", "dxx", "ddxx"):
                digits = "".join(ch for ch in token.text if ch.isdigit())
                parts.daynum = int(digits) if 1 <= int(digits) <= 31 else parts.daynum
            parts.unit = parts.unit or vocab.unit_of.get(word)  # type: ignore[assignment]
            parts.month = parts.month or vocab.month_of.get(word)
            parts.weekday = vocab.weekday_of.get(word, parts.weekday)
            parts.part = vocab.part_of.get(word, parts.part)
            if word in ("last", "next", "this") and parts.lead is None:
                parts.lead = word
        return parts

    def window(self, rule: str, span: Span) -> tuple[TimeWindow, Granularity] | None:
        """The window one rule's phrase means, or None when it cannot be placed."""
        p, now, clock = self.parts(span), self.now, self.clock
        unit: Unit = p.unit or "day"
        n = p.number if p.number is not None else 1

        def around(moment: datetime, of: Unit = unit) -> TimeWindow:
            return period(moment, of, clock, self.week_start)

        if rule in ("rolling_back", "rolling_back_one"):
            start = shift(now, -(1 if rule == "rolling_back_one" else n), unit)
            if unit not in ("minute", "hour"):
                start = day_start(start.date(), clock)
            return TimeWindow(start=start, end=now), "duration"
        if rule == "rolling_forward":
            if self.prefer == "past" and span[0].lower_ == "within":
                return TimeWindow(start=day_start(shift(now, -n, unit).date(), clock), end=now), "duration"
            return TimeWindow(start=now, end=shift(now, n, unit)), "duration"
        if rule in ("previous_period", "this_period", "next_period"):
            step = {"previous_period": -1, "this_period": 0, "next_period": 1}[rule]
            return around(shift(now, step, unit)), granularity(unit)
        if rule in ("ago", "in_future"):
            return around(shift(now, -n if rule == "ago" else n, unit)), granularity(unit)
        if rule in ("relday", "this_part"):
            day = clock.today() + timedelta(days=p.relday or 0)
            return self._day(day, p.part)
        if rule == "weekday" and p.weekday is not None:
            return self._day(self._weekday(p.weekday, p.lead), p.part)
        if rule == "month" and p.month is not None:
            return self._month(p.month, p.year, p.lead), "month"
        if rule == "year" and p.year is not None:
            return around(datetime(p.year, 6, 1, tzinfo=clock.tz), "year"), "year"
        if rule == "date":
            return self._date(span)
        return None

    def _calendar_day(self, month: int, day: int, year: int | None) -> date | None:
        """The date, the year taken in the asked direction when not said ("Nov 12th" in March = last Nov)."""
        today = self.clock.today()
        candidates = [year] if year is not None else [today.year - 1, today.year, today.year + 1]
        valid = []
        for y in candidates:
            try:
                valid.append(date(y, month, day))
            except ValueError:
                continue
        if year is not None or not valid:
            return valid[0] if valid else None
        if self.prefer == "past":
            return max((d for d in valid if d <= today), default=None)
        return min((d for d in valid if d >= today), default=None)

    def bare_after_link(self, doc: Doc, end: int) -> tuple[int, int, str, TimeWindow, Granularity] | None:
        """A month or weekday word right after a range link ("from jan TO FEB"), which alone is too ambiguous."""
        if end + 1 >= len(doc) or doc[end].lower_ not in self.vocab.range_links:
            return None
        word = doc[end + 1].lower_
        if word in self.vocab.month_of:
            return end + 1, end + 2, "month", self._month(self.vocab.month_of[word], None, None), "month"
        if word in self.vocab.weekday_of:
            window, granularity = self._day(self._weekday(self.vocab.weekday_of[word], None), None)
            return end + 1, end + 2, "weekday", window, granularity
        return None

    def _day(self, day: date, part: str | None) -> tuple[TimeWindow, Granularity]:
        start = day_start(day, self.clock)
        if part is None or part not in self.vocab.parts_of_day:
            return TimeWindow(start=start, end=start + timedelta(days=1)), "day"
        hours = self.vocab.parts_of_day[part]
        begin, finish = (clock_time(hours.start), clock_time(hours.end))
        return TimeWindow(start=start + begin, end=start + finish), "part_of_day"

    def _weekday(self, weekday: int, lead: str | None) -> date:
        today = self.clock.today()
        back, ahead = (today.weekday() - weekday) % 7, (weekday - today.weekday()) % 7
        if lead == "last":
            return today - timedelta(days=back or 7)
        if lead == "next":
            return today + timedelta(days=ahead or 7)
        if lead == "this":
            return today + timedelta(days=weekday - today.weekday())
        return today - timedelta(days=back) if self.prefer == "past" else today + timedelta(days=ahead)

    def _month(self, month: int, year: int | None, lead: str | None) -> TimeWindow:
        now = self.now
        if year is None:
            prefer = {"last": "past", "next": "future", "since": "past"}.get(lead or "", self.prefer)
            if lead == "this":
                year = now.year
            elif prefer == "past":
                year = now.year if month <= now.month else now.year - 1
            else:
                year = now.year if month >= now.month else now.year + 1
        first = date(year, month, 1)
        return TimeWindow(start=day_start(first, self.clock), end=day_start(add_months(first, 1), self.clock))

    def _date(self, span: Span) -> tuple[TimeWindow, Granularity] | None:
        """A calendar day: read off the words when month and day are both there, else by dateparser."""
        skip = 0
        while skip < len(span) - 1 and span[skip].lower_ in {*self.vocab.leads, "the"}:
            skip += 1
        text = span[skip:].text
        p = self.parts(span)
        if p.month is not None and p.daynum is not None:
            day = self._calendar_day(p.month, p.daynum, p.year)
            return None if day is None else self._day(day, None)
        try:
            return self._day(date.fromisoformat(text.replace(" ", "")), None)
        except ValueError:
            pass
        settings = {
            "RELATIVE_BASE": self.now.replace(tzinfo=None),
            "PREFER_DATES_FROM": self.prefer,
            "PREFER_DAY_OF_MONTH": "first",
            "DATE_ORDER": "MDY",
            "REQUIRE_PARTS": ["day", "month"],
        }
        parsed = dateparser.parse(text, languages=["en"], settings=settings)
        if parsed is None:
            return None
        return self._day(parsed.date(), None)


def resolve_times(doc: Doc, clock: Clock, prefer: Direction = "past") -> list[TimeExpression]:
    """The doc's time phrases as windows, with since/before/after/until/between combinations applied."""
    resolver = TimeResolver(clock, prefer)
    vocab = resolver.vocab
    spans: Sequence[TimeSpan] = doc._.time_spans or []
    atoms: list[tuple[int, int, str, TimeWindow, Granularity]] = []
    for found in spans:
        resolved = resolver.window(found.rule, doc[found.start : found.end])
        if resolved is not None:
            atoms.append((found.start, found.end, found.rule, *resolved))
    out: list[TimeExpression] = []
    i = 0
    while i < len(atoms):
        start, end, rule, window, granularity = atoms[i]
        combinator, lead_start = _combinator(doc, start, vocab)
        if combinator in ("between", "from") and (i + 1 == len(atoms) or atoms[i + 1][0] > end + 1):
            bare = resolver.bare_after_link(doc, end)
            if bare is not None:
                atoms.insert(i + 1, bare)
        if combinator in ("between", "from") and i + 1 < len(atoms):
            nxt = atoms[i + 1]
            gap = doc[end : nxt[0]]
            linked = len(gap) <= 1 and all(t.lower_ in vocab.range_links for t in gap)
            if linked and (len(gap) == 1 or doc[nxt[0]].lower_ in vocab.range_links):
                out.append(_expr(doc, lead_start, nxt[1], "between", "range", joined(window, nxt[3], nxt[4])))
                i += 2
                continue
        now = resolver.now
        combined = {
            "since": TimeWindow(start=window.start, end=now),
            "before": TimeWindow(start=None, end=window.start),
            "after": TimeWindow(start=window.end, end=None),
            "until": TimeWindow(start=now, end=window.end),
        }.get(combinator or "")
        if combined is not None:
            out.append(_expr(doc, lead_start, end, str(combinator), "range", combined))
        else:
            out.append(_expr(doc, start, end, rule, granularity, window))
        i += 1
    return out


def _combinator(doc: Doc, start: int, vocab: TimeVocabulary) -> tuple[str | None, int]:
    """The combinator word(s) leading a phrase (inside it or just before), and where the whole starts."""
    for size in (2, 1):
        for first in (start, start - size):
            if first < 0 or first + size > len(doc):
                continue
            words = " ".join(t.lower_ for t in doc[first : first + size])
            if words in vocab.combinator_of and (first == start or first + size == start):
                return vocab.combinator_of[words], min(first, start)
    return None, start


def _expr(
    doc: Doc, start: int, end: int, rule: str, granularity: Granularity, window: TimeWindow
) -> TimeExpression:
    span = doc[start:end]
    return TimeExpression(
        text=span.text,
        start=span.start_char,
        end=span.end_char,
        rule=rule,
        granularity=granularity,
        window=window,
    )
