"""Numbering citations in order of first use, shared by both reasoners' composers."""

from __future__ import annotations

from agent.models import Citation, Fact
from knowledge.passage import Passage
from tools.key_values import key_values

QUOTE_LIMIT = 400


class CitationBook:
    """Assigns [n] markers: one number per distinct source, in the order sentences first cite them."""

    def __init__(self) -> None:
        self._by_id: dict[str, Citation] = {}

    def fact(self, fact: Fact) -> int:
        """The number for a record fact's resource (quote: the fact as read)."""
        ref = fact.source.reference
        if ref not in self._by_id:
            self._by_id[ref] = Citation(
                n=len(self._by_id) + 1,
                kind="fhir",
                id=ref,
                title=fact.title,
                quote=fact.text,
                values=key_values(fact.source.json_body),
            )
        return self._by_id[ref].n

    def passage(self, passage: Passage, quote: str) -> int:
        """The number for a knowledge chunk (quote: the sentence taken from it)."""
        if passage.id not in self._by_id:
            title = (
                f"{passage.title} — {passage.section.split(' > ')[-1]}" if passage.section else passage.title
            )
            self._by_id[passage.id] = Citation(
                n=len(self._by_id) + 1,
                kind="knowledge",
                id=passage.id,
                title=title,
                quote=quote[:QUOTE_LIMIT],
            )
        return self._by_id[passage.id].n

    def all(self) -> tuple[Citation, ...]:
        """Citations in number order."""
        return tuple(sorted(self._by_id.values(), key=lambda c: c.n))
