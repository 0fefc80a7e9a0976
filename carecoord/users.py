"""Clinician accounts: bcrypt password hashes, optional TOTP, and the roles that may decide review items."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, get_args

import bcrypt
from pydantic import BaseModel
from sqlalchemy import Boolean, DateTime, Engine, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from carecoord.db import Base
from carecoord.mfa import code_matches, new_secret, provisioning_uri
from carecoord.migrations import migrate
from carecoord.sealing import SealedText

Role = Literal["clinician", "admin", "viewer"]
"""`viewer` may sign in and read the queue; only `clinician` and `admin` may decide."""
DECIDING_ROLES: frozenset[str] = frozenset({"clinician", "admin"})
MIN_PASSWORD = 8
MAX_PASSWORD_BYTES = 72
"""bcrypt only reads 72 bytes; longer passwords are refused rather than silently truncated."""


class UserError(ValueError):
    """A user cannot be added as asked (bad role, weak password, name taken)."""


class UserRow(Base):
    """A person who may sign in to the console or act through the CLI."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    """How patients see them, e.g. "Dr. Lee"."""
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    totp_secret: Mapped[str | None] = mapped_column(SealedText("users.totp_secret"), nullable=True)
    """The TOTP secret once enrolled (sealed with the PHI keyring)."""


class User(BaseModel):
    """A user as the rest of the app sees it (never the hash)."""

    name: str
    role: Role
    display_name: str = ""
    mfa: bool = False
    """Whether the user enrolled a TOTP authenticator (then every sign-in needs a code)."""

    @property
    def can_decide(self) -> bool:
        """Whether this user may approve, reject, answer or acknowledge review items."""
        return self.role in DECIDING_ROLES

    @property
    def shown_as(self) -> str:
        """The name patients see in care-team messages."""
        return self.display_name or self.name


class UserStore:
    """Users over one engine; the schema is migrated on open."""

    def __init__(self, engine: Engine, rounds: int = 12) -> None:
        self.engine = engine
        self.rounds = rounds
        """bcrypt cost; tests lower it, production keeps the default."""
        self._dummy_hash: bytes | None = None
        migrate(engine)

    def add(self, name: str, password: str, role: str, display_name: str = "") -> User:
        """Create a user; raises `UserError` on a bad role, a weak password or a taken name."""
        name = name.strip()
        if not name or len(name) > 100 or any(c.isspace() for c in name):
            raise UserError("a user name is 1-100 characters without spaces")
        if role not in get_args(Role):
            raise UserError(f"unknown role {role!r}; use one of {', '.join(get_args(Role))}")
        secret = password.encode()
        if len(password) < MIN_PASSWORD:
            raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
        if len(secret) > MAX_PASSWORD_BYTES:
            raise UserError(f"the password must be at most {MAX_PASSWORD_BYTES} bytes (a bcrypt limit)")
        row = UserRow(
            name=name,
            display_name=display_name.strip() or name,
            role=role,
            password_hash=bcrypt.hashpw(secret, bcrypt.gensalt(self.rounds)).decode(),
            active=True,
            created_at=datetime.now(UTC),
        )
        with Session(self.engine) as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                raise UserError(f"a user named {name!r} already exists") from None
            return _user(row)

    def get(self, name: str) -> User | None:
        """The active user called `name`, or None."""
        with Session(self.engine) as session:
            row = session.get(UserRow, name)
            return _user(row) if row is not None and row.active else None

    def list(self) -> list[User]:
        """Every active user, by name."""
        with Session(self.engine) as session:
            rows = session.scalars(select(UserRow).where(UserRow.active).order_by(UserRow.name)).all()
            return [_user(row) for row in rows]

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if the password matches, else None (same work either way: no user enumeration)."""
        with Session(self.engine) as session:
            row = session.get(UserRow, name)
        secret = password.encode()[:MAX_PASSWORD_BYTES]
        if row is None or not row.active:
            if self._dummy_hash is None:
                self._dummy_hash = bcrypt.hashpw(b"not-a-password", bcrypt.gensalt(self.rounds))
            bcrypt.checkpw(secret, self._dummy_hash)
            return None
        return _user(row) if bcrypt.checkpw(secret, row.password_hash.encode()) else None

    def enroll_mfa(self, name: str) -> str:
        """Give the user a new TOTP secret; returns its `otpauth://` URI. Raises `UserError` if unknown."""
        secret = new_secret()
        with Session(self.engine) as session:
            row = session.get(UserRow, name)
            if row is None or not row.active:
                raise UserError(f"no active user named {name!r}")
            row.totp_secret = secret
            session.commit()
        return provisioning_uri(secret, name)

    def check_totp(self, name: str, code: str) -> bool:
        """Whether `code` is the user's current TOTP code (False when not enrolled)."""
        with Session(self.engine) as session:
            row = session.get(UserRow, name)
        return row is not None and row.totp_secret is not None and code_matches(row.totp_secret, code)


def _user(row: UserRow) -> User:
    return User.model_validate(
        {
            "name": row.name,
            "role": row.role,
            "display_name": row.display_name,
            "mfa": row.totp_secret is not None,
        }
    )
