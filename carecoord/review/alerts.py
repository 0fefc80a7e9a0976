"""`QueueAlerts`: the review queue as the notification dispatcher's `AlertSource`.

Which items must reach a person is review's knowledge (open, emergent or urgent); delivering them is
`carecoord.notify`'s. An emergency is filed `notifying` and becomes `notified` once a notification
about it was delivered (or a clinician acknowledged it), so the status says what really happened.
"""

from __future__ import annotations

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.orm import Session

from carecoord.notify.alert import OpenAlert
from carecoord.notify.status import NOTIFIED_LEVELS
from carecoord.review.models import ReviewItem
from carecoord.review.rules import EMERGENCY_OPEN, is_open, utc

OPEN = or_(
    and_(
        ReviewItem.kind == "emergency",
        ReviewItem.status.in_(EMERGENCY_OPEN),
        ReviewItem.acknowledged_by.is_(None),
    ),
    and_(ReviewItem.kind != "emergency", ReviewItem.status == "pending"),
)
"""`rules.is_open` as SQL."""


class QueueAlerts:
    """Open emergent and urgent items, read straight from the review table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open_alerts(self) -> list[OpenAlert]:
        """See `AlertSource.open_alerts`."""
        query = select(ReviewItem.id, ReviewItem.level, ReviewItem.created_at).where(
            ReviewItem.level.in_(NOTIFIED_LEVELS), OPEN
        )
        with Session(self.engine) as session:
            rows = session.execute(query).all()
        return [OpenAlert(item_id=row.id, level=row.level, created_at=utc(row.created_at)) for row in rows]

    def still_open(self, item_id: str) -> bool:
        """See `AlertSource.still_open`."""
        with Session(self.engine) as session:
            item = session.get(ReviewItem, item_id)
            return item is not None and is_open(item)

    def delivered(self, item_id: str) -> None:
        """See `AlertSource.delivered`: a `notifying` emergency becomes `notified`."""
        with Session(self.engine) as session:
            session.execute(
                update(ReviewItem)
                .where(ReviewItem.id == item_id, ReviewItem.status == "notifying")
                .values(status="notified")
            )
            session.commit()
