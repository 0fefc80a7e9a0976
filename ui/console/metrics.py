"""Shift metrics from review items: queue size, time to decision, escalation mix, verifier removals.

Pure functions over `ItemFacts` so the numbers are tested without Streamlit; the Metrics page only
draws the frames these return.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the environment

OPEN_STATUSES = ("pending", "notifying", "notified")
"""Statuses that still wait for a clinician."""


@dataclass(frozen=True)
class ItemFacts:
    """The few facts of one review item the metrics need."""

    kind: str
    level: str
    status: str
    created: datetime
    decided_at: datetime | None
    removed: int
    """Answer sentences the grounding verifier removed before the item was filed."""


def queue_size(items: Sequence[ItemFacts]) -> int:
    """Items still waiting for a decision or an acknowledgement."""
    return sum(1 for item in items if item.status in OPEN_STATUSES)


def median_minutes_to_decision(items: Sequence[ItemFacts]) -> float | None:
    """Median minutes from filing to decision over decided items; None before the first decision."""
    minutes = [
        (item.decided_at - item.created).total_seconds() / 60 for item in items if item.decided_at is not None
    ]
    return statistics.median(minutes) if minutes else None


def period_for(items: Sequence[ItemFacts]) -> str:
    """Hourly buckets for a shift's worth of items (under two days), daily ones beyond."""
    if not items:
        return "D"
    created = [_period(item.created, "s") for item in items]
    return "h" if max(created) - min(created) < pd.Timedelta(days=2) else "D"


def escalations_over_time(items: Sequence[ItemFacts], by: str, freq: str = "D") -> pd.DataFrame:
    """Items filed per period (rows) and per `by` value, `kind` or `level` (columns)."""
    if not items:
        return pd.DataFrame()
    frame = pd.DataFrame(
        {"period": [_period(item.created, freq) for item in items], by: [getattr(item, by) for item in items]}
    )
    table = frame.groupby(["period", by]).size().unstack(fill_value=0)
    table.columns = [str(c) for c in table.columns]
    return table.sort_index()


def removals_over_time(items: Sequence[ItemFacts], freq: str = "D") -> pd.DataFrame:
    """Sentences the verifier removed per period, over the items filed in that period."""
    if not items:
        return pd.DataFrame()
    frame = pd.DataFrame(
        {
            "period": [_period(item.created, freq) for item in items],
            "removed sentences": [item.removed for item in items],
        }
    )
    return frame.groupby("period").sum().sort_index()


def decisions_by_status(items: Sequence[ItemFacts]) -> pd.DataFrame:
    """How many items ended in each status (approved, rejected, ...), open ones included."""
    if not items:
        return pd.DataFrame()
    frame = pd.DataFrame({"status": [item.status for item in items]})
    return frame.groupby("status").size().to_frame("items")


def categorical(frame: pd.DataFrame, freq: str) -> pd.DataFrame:
    """The frame with its period index as labels, so bar charts draw bars rather than hairlines."""
    if frame.empty:
        return frame
    labelled = frame.copy()
    labelled.index = frame.index.strftime("%m-%d %H:00" if freq == "h" else "%Y-%m-%d")
    return labelled


def _period(moment: datetime, freq: str) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.floor(freq)
