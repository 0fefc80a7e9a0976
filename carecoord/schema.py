"""Every table CareCoord needs, created in one step before any worker starts.

The review queue, audit log and users are Alembic-migrated; the API's transcript tables and
LangGraph's checkpoint tables are created by their owners. Processes also do this on open, but two
API workers doing it at once on an empty PostgreSQL race, so launchers call this first.
"""

from __future__ import annotations

from carecoord.settings import Settings


def create_schema(settings: Settings) -> None:
    """Migrate the configured database and create the transcript and checkpoint tables."""
    from agent.checkpoints import open_checkpointer
    from carecoord.db import Base, make_engine
    from carecoord.migrations import migrate
    from ui.api.tables import ChatMessage, ChatThread

    engine = make_engine(settings.sqlalchemy_url)
    try:
        migrate(engine)
        Base.metadata.create_all(engine, tables=[ChatThread.__table__, ChatMessage.__table__])  # type: ignore[list-item]
    finally:
        engine.dispose()
    with open_checkpointer(settings.database_url, settings.data_dir):
        pass
