"""The one failure the retriever reports: the index (a Chroma server) cannot be reached."""

from __future__ import annotations


class KnowledgeUnavailable(Exception):
    """The knowledge index did not answer; the turn escalates instead of answering from memory."""
