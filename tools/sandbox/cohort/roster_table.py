"""`carecoord sandbox patients` as a table that fits an 80-column terminal.

The id (a 36-character UUID that `chat --patient` and the API take) is printed whole in its own
column; who the patient is and their problems share the second column, wrapped at word boundaries.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.table import Table
from rich.text import Text

from tools.sandbox.cohort.roster import RosterEntry


def roster_table(roster: Sequence[RosterEntry], url: str) -> Table:
    """One row per patient: the full id, then name, birth date, sex and the clinical summary."""
    table = Table(
        title=f"{len(roster)} patients at {url}", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True
    )
    table.add_column("ID", no_wrap=True, min_width=max((len(e.id) for e in roster), default=2))
    table.add_column("Patient", overflow="fold", ratio=1)
    for entry in roster:
        who = Text(entry.name, style="bold")
        who.append(f" ({entry.birth_date}, {entry.sex})", style="")
        who.append(f"\n{entry.summary}", style="dim")
        table.add_row(entry.id, who)
    return table
