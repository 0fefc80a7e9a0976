"""Claiming a review item: one clinician says "mine", so colleagues pick other work. Audited, not a decision.

A claim does not bump the item's version (a decision by anyone allowed still goes through); it only
records who is working on it. Claiming an item someone else holds is refused; unclaiming is for the
holder (an admin may release anyone's claim).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from carecoord.audit import AuditRecord
from carecoord.db import is_sqlite
from carecoord.review.effects import subjects
from carecoord.review.errors import ReviewError
from carecoord.review.models import ReviewItem
from carecoord.review.queue import ReviewQueue
from carecoord.review.views import QueueItem, listed
from carecoord.users import User


class ClaimRefused(ReviewError):
    """The item is claimed by someone else (or, to unclaim, not claimed by you)."""


def set_assignee(queue: ReviewQueue, item_id: str, actor: User, take: bool) -> QueueItem:
    """Claim (`take`) or release the item for `actor`, with its audit entry in the same transaction."""
    item = queue.require(item_id)
    if take and item.assignee not in (None, actor.name):
        raise ClaimRefused(f"{item_id} is claimed by {item.assignee}")
    if not take and item.assignee not in (actor.name, None) and actor.role != "admin":
        raise ClaimRefused(f"{item_id} is claimed by {item.assignee}; only they or an admin may release it")
    if item.assignee == (actor.name if take else None):
        return listed(item)  # already so: nothing to record
    condition = [ReviewItem.id == item_id]
    condition.append(ReviewItem.assignee.is_(None) if take else ReviewItem.assignee == item.assignee)
    values = {"assignee": actor.name, "assigned_at": datetime.now(UTC)} if take else {"assignee": None}
    if not take:
        values["assigned_at"] = None
    action = "review.claim" if take else "review.unclaim"
    record = AuditRecord(actor.name, action, tuple(subjects(item)), f"{item_id} {item.assignee or '-'}")
    with queue.engine.connect() as connection:
        if is_sqlite(queue.engine):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        result = connection.execute(update(ReviewItem).where(*condition).values(**values))
        if getattr(result, "rowcount", 0) != 1:
            connection.rollback()
            holder = queue.require(item_id).assignee
            raise ClaimRefused(f"{item_id} was just claimed by {holder}" if holder else f"{item_id} changed")
        if queue.audit is not None:
            queue.audit.append_in(connection, record)
        connection.commit()
    return listed(queue.require(item_id))
