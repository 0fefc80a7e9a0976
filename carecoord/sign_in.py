"""How a clinician signs in, for the console and the CLI alike: throttle, password, TOTP, audit.

Order matters: a locked account or address is refused before its password is checked (no probing
while locked); every refusal and every success is an audit entry; `require_mfa` refuses clinicians
and admins who have not enrolled an authenticator.
"""

from __future__ import annotations

from dataclasses import dataclass

from carecoord.audit import AuditLog
from carecoord.login_throttle import LoginThrottle
from carecoord.users import User, UserStore


class SignInRefused(Exception):
    """Sign-in failed; the message is safe to show (it never says whether the user exists)."""


@dataclass(frozen=True)
class SignIn:
    """The sign-in policy over the shared users, audit log and failure counts."""

    users: UserStore
    audit: AuditLog
    throttle: LoginThrottle
    require_mfa: bool = False

    def __call__(self, name: str, password: str, code: str | None, client: str) -> User:
        """The user, or `SignInRefused` (audited, and counted towards a lock unless already locked)."""
        subjects = [f"user:{name}", f"client:{client}"]
        lock = self.throttle.locked(name, client)
        if lock is not None:
            self.audit.append(name, "login_locked", subjects, f"locked:{lock.scope}:{lock.until.isoformat()}")
            until = lock.until.strftime("%H:%M UTC")
            raise SignInRefused(f"Too many failed sign-ins: try again after {until}.")
        user = self.users.authenticate(name, password)
        if user is None:
            self._failed(name, client, subjects, "password")
            raise SignInRefused("Wrong user name or password.")
        if user.mfa and not (code and self.users.check_totp(name, code)):
            self._failed(name, client, subjects, "totp")
            raise SignInRefused("Wrong or missing authenticator code.")
        if self.require_mfa and user.can_decide and not user.mfa:
            self.audit.append(name, "login_refused", subjects, f"mfa_required:{name}")
            raise SignInRefused(f"An authenticator is required: `carecoord users mfa enroll {name}`.")
        self.throttle.succeeded(name)
        self.audit.append(name, "login", subjects, f"login:{name}")
        return user

    def _failed(self, name: str, client: str, subjects: list[str], factor: str) -> None:
        self.throttle.failed(name, client)
        self.audit.append(name, "login_failed", subjects, f"{factor}_failed:{name}")
