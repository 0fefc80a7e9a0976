"""Issue 15: a request cannot forge lines in the API's log (real `carecoord serve` process)."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.fixtures.api import ApiServer

pytestmark = pytest.mark.integration


def test_an_encoded_newline_in_an_unauthenticated_path_is_one_escaped_log_line(api_server: ApiServer) -> None:
    marker = uuid.uuid4().hex
    forged = f"2030-01-01%2000:00:00,000%20INFO%20carecoord.api[1]%20http%20POST%20/admin%20200%20{marker}"
    with api_server.client() as client:
        response = client.get(f"/healthz%0A{forged}%0D%0A%1B[2J%E2%80%A8end")
    assert response.status_code == 404
    deadline = time.monotonic() + 5
    lines: list[str] = []
    while not lines and time.monotonic() < deadline:
        lines = [line for line in api_server.log_text().splitlines() if marker in line]
        time.sleep(0.05)
    assert len(lines) == 1, lines
    [line] = lines
    assert " INFO carecoord.api[" in line and line.endswith(" 404 ms=" + line.rsplit(" ms=", 1)[1])
    assert "GET /healthz\\n2030-01-01 00:00:00,000 INFO carecoord.api[1] http POST /admin 200 " in line
    assert f"{marker}\\r\\n\\x1b[2J\\u2028end 404" in line
