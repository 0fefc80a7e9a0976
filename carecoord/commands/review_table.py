"""`carecoord review list` as a table that fits an 80-column terminal without splitting an id.

Item ids are printed whole in their own column (every command takes them as shown). Patient ids are
UUIDs, too wide to sit beside them, so the table shows the shortest prefix (8 characters or more) that
is unique among the listed items; `review list --patient` accepts such a prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich import box
from rich.table import Table

from carecoord.review.views import QueueItem

MIN_PREFIX = 8
"""Shortest patient-id prefix shown; a UUID's first 8 hex digits are unique in any real list."""


def unique_prefixes(ids: Iterable[str], minimum: int = MIN_PREFIX) -> dict[str, str]:
    """Each id's shortest prefix of at least `minimum` characters that no other id starts with."""
    distinct = sorted(set(ids))
    prefixes: dict[str, str] = {}
    for identifier in distinct:
        size = min(minimum, len(identifier))
        while any(o != identifier and o.startswith(identifier[:size]) for o in distinct):
            size += 1
        prefixes[identifier] = identifier[:size]
    return prefixes


def matching(prefix: str, ids: Iterable[str]) -> list[str]:
    """The distinct ids that start with `prefix` (an exact id matches only itself)."""
    distinct = set(ids)
    if prefix in distinct:
        return [prefix]
    return sorted(i for i in distinct if i.startswith(prefix))


def queue_table(items: Sequence[QueueItem], patients: Iterable[str] = ()) -> Table:
    """Id, level, status, due, patient (unique prefix) and a word-wrapped summary.

    Prefixes are unique among `patients` (every patient in the queue, so a prefix taken from a filtered
    list still names one patient) and the listed items' patients.
    """
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, padding=(0, 1))
    table.add_column("id", no_wrap=True, min_width=max((len(i.id) for i in items), default=2))
    table.add_column("level", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("due", no_wrap=True)
    notifying = any(item.notification is not None for item in items)
    if notifying:
        table.add_column("notified", no_wrap=True)
    table.add_column("patient", no_wrap=True)
    table.add_column("summary", overflow="fold", ratio=1)
    prefixes = unique_prefixes([*patients, *(item.patient for item in items)])
    for item in items:
        due = f"[red]{item.due:%m-%d %H:%M}![/red]" if item.overdue else f"{item.due:%m-%d %H:%M}"
        cells = [item.id, item.level, item.status, due]
        if notifying:
            cells.append(_notified(item))
        table.add_row(*cells, prefixes[item.patient], item.summary)
    if any(item.overdue for item in items):
        table.caption = "! overdue · patient: unique id prefix (--patient accepts it)"
    else:
        table.caption = "patient: unique id prefix (--patient accepts it)"
    return table


def _notified(item: QueueItem) -> str:
    """A short notification cell (`sent 05:51`, `retrying`, `not sent`); `review show` has the detail."""
    status = item.notification
    if status is None:
        return "—"
    if status.state == "sent" and status.last_sent is not None:
        return f"sent {status.last_sent:%H:%M}"
    return status.state.replace("_", " ")
