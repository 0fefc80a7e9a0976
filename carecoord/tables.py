"""Every CareCoord table, all owned by the Alembic migrations, gathered to compare with the models.

Only these: LangGraph's checkpoint tables share the database but belong to LangGraph, and neither
autogenerate nor the schema test may mistake them for drift.
"""

from __future__ import annotations

from sqlalchemy import MetaData, Table

from carecoord.audit import AuditHead, AuditRow
from carecoord.chat_tables import ChatMessage, ChatThread
from carecoord.login_throttle import LoginFailure
from carecoord.notify.tables import Notification
from carecoord.review.models import ReviewItem
from carecoord.revocations import RevokedToken
from carecoord.users import UserRow

MIGRATED = (
    ReviewItem,
    UserRow,
    AuditRow,
    AuditHead,
    ChatThread,
    ChatMessage,
    Notification,
    LoginFailure,
    RevokedToken,
)


def metadata() -> MetaData:
    """A metadata holding exactly the migrated tables (what the migrations must produce)."""
    owned = MetaData()
    for model in MIGRATED:
        table = model.__table__
        assert isinstance(table, Table)
        table.to_metadata(owned)
    return owned


def migrated_table_names() -> set[str]:
    """Names of the tables the migrations create."""
    return {model.__tablename__ for model in MIGRATED}
