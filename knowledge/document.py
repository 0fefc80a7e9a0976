"""The format-independent shape every loader produces, and the loaders' shared errors.

Its own module so the per-format loaders (`html_loader`, `pdf_loader`) and the dispatcher
(`loaders`) depend on it without depending on each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.sections import Section


@dataclass(frozen=True)
class Document:
    """One source article, format-independent."""

    source: Path
    article_id: str
    title: str
    sections: tuple[Section, ...]
    guideline: str = ""
    audience: str = "patient"
    topics: tuple[str, ...] = ()
    reviewed: str = ""
    sha256: str = ""
    """Hash of the file's bytes: the version of this source, stored on every chunk as `corpus_version`."""


@dataclass(frozen=True)
class Skipped:
    """A file ingestion could not use, and why."""

    path: Path
    reason: str


class UnreadableError(ValueError):
    """A source file that cannot be turned into a Document; the message is the user-facing reason."""
