"""Issue 15: a console sign-in survives a browser refresh (signed HttpOnly cookie); sign-out ends it for good.

The console runs as `carecoord console` over its own database in real Chromium. After sign-out the old
cookie, replayed in a fresh browser, is refused: the session id is revoked in the database, not only
deleted from the browser.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from carecoord.audit import AuditLog
from carecoord.db import make_engine
from carecoord.settings import Settings
from carecoord.wiring import open_review_stores, phi_keyring
from tests.fixtures.agent import TEST_KEYS
from tests.fixtures.processes import free_port, stop, wait_until_up
from ui.console.cli import settings_env
from ui.console.session_cookie import COOKIE

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
WAIT_MS = 60_000
USER, PASSWORD, SHOWN_AS = "drmorgan", "refresh proof password", "Dr. Morgan"


@dataclass(frozen=True)
class Console:
    """A console process and the settings of its database."""

    url: str
    settings: Settings


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    """`carecoord console` on a free port over an empty queue with one clinician."""
    if not CHROMIUM.exists():
        pytest.fail("Debian Chromium is missing: run `make browser` (apt-get install -y chromium)")
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'console.sqlite3'}",
        fhir_url=f"http://127.0.0.1:{free_port()}/fhir",
        transcript_keys=TEST_KEYS,
        transcript_key_id="test",
        console_session_secret="c" * 40,  # type: ignore[arg-type]
    )
    with open_review_stores(settings) as stores:
        stores.users.rounds = 4
        stores.users.add(USER, PASSWORD, "clinician", SHOWN_AS)
    port = free_port()
    env = {**os.environ, **settings_env(settings)}
    with (tmp_path / "console.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "carecoord", "console", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/_stcore/health", process, timeout_s=60)
        yield Console(url, settings)
    finally:
        stop(process)


def _session_cookie(context: Any, present: bool = True) -> dict[str, Any] | None:
    """The console's session cookie once it is (or is no longer) in the browser."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [c for c in context.cookies() if c["name"] == COOKIE]
        if bool(found) == present:
            return found[0] if found else None
        time.sleep(0.1)
    raise AssertionError(f"the session cookie is {'missing' if present else 'still there'}")


def test_a_refresh_keeps_the_sign_in_and_sign_out_ends_it(console: Console) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            context = browser.new_context()
            page = context.new_page()
            page.goto(console.url)
            page.get_by_role("textbox", name="User name").fill(USER)
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Review queue")).to_be_visible()

            cookie = _session_cookie(context)
            assert cookie is not None
            assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
            assert COOKIE not in page.evaluate("document.cookie")  # page scripts cannot read it

            page.reload()
            expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
            expect(page.get_by_text(f"Signed in as {SHOWN_AS}")).to_be_visible()
            expect(page.get_by_role("button", name="Sign in")).to_have_count(0)

            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("button", name="Sign in")).to_be_visible()
            _session_cookie(context, present=False)
            page.reload()
            expect(page.get_by_role("button", name="Sign in")).to_be_visible()
            expect(page.get_by_role("heading", name="Review queue")).to_have_count(0)

            # The old cookie replayed in a fresh browser is refused: its session id is revoked.
            replay = browser.new_context()
            replay.add_cookies([cookie])
            again = replay.new_page()
            again.goto(console.url)
            expect(again.get_by_role("button", name="Sign in")).to_be_visible()
            expect(again.get_by_role("heading", name="Review queue")).to_have_count(0)

            # A forged cookie (another user, the MAC kept) is refused too.
            forged = browser.new_context()
            version, _, rest = str(cookie["value"]).partition(".")
            _, _, tail = rest.partition(".")
            forged.add_cookies([{**cookie, "value": f"{version}.YWRtaW4.{tail}"}])
            third = forged.new_page()
            third.goto(console.url)
            expect(third.get_by_role("button", name="Sign in")).to_be_visible()
            browser.close()
    finally:
        expect.set_options(timeout=5_000)

    engine = make_engine(console.settings.sqlalchemy_url, phi_keyring(console.settings))
    try:
        [revoked] = AuditLog(engine).entries(action="console_session.revoke")
        assert revoked.actor == USER and revoked.subjects[0].startswith("console_session:")
    finally:
        engine.dispose()
