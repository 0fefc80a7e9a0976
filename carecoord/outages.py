"""Which exceptions mean "a store is down or full" rather than "our code is wrong".

The API answers these with a 503 naming the store, and a turn that meets one ends with an error the
patient can act on ("try again in a minute"); anything else is a bug and stays a bug.
"""

from __future__ import annotations

import errno
import sqlite3
from typing import Literal

Outage = Literal["storage_full", "database_unavailable"]

_FULL_MARKERS = ("database or disk is full", "no space left on device", "disk full", "could not extend file")


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything it was raised from (SQLAlchemy wraps the driver's error)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def classify(exc: BaseException) -> Outage | None:
    """`storage_full`, `database_unavailable`, or None when `exc` is not a storage outage."""
    import psycopg
    import psycopg_pool
    from sqlalchemy.exc import InterfaceError, OperationalError

    outage: Outage | None = None
    for link in _chain(exc):
        if isinstance(link, OSError) and link.errno in (errno.ENOSPC, errno.EDQUOT):
            return "storage_full"
        if any(marker in str(link).lower() for marker in _FULL_MARKERS):
            return "storage_full"
        if isinstance(
            link,
            OperationalError
            | InterfaceError
            | sqlite3.OperationalError
            | psycopg.OperationalError
            | psycopg.InterfaceError
            | psycopg_pool.PoolTimeout,
        ):
            outage = "database_unavailable"
    return outage


def is_dependency_down(exc: BaseException) -> bool:
    """Whether `exc` says a server we depend on (database, Chroma) is down, so waiting may fix it."""
    import httpx
    from chromadb.errors import ChromaError

    if classify(exc) is not None:
        return True
    for link in _chain(exc):
        if isinstance(link, httpx.TransportError | ChromaError):
            return True
        # chromadb's HttpClient reports a refused connection as a bare ValueError.
        if isinstance(link, ValueError) and "could not connect to a chroma server" in str(link).lower():
            return True
    return False


MESSAGES: dict[Outage, str] = {
    "storage_full": "The server's storage is full, so nothing new can be saved; what was already saved is safe. "
    "Please try again later.",
    "database_unavailable": "The database cannot be reached just now; please try again in a minute.",
}
"""What a person reads for each outage."""
