"""Issue 15: a client-chosen path or header cannot forge log lines; control characters are escaped."""

from __future__ import annotations

import io
import logging
import logging.config

import pytest

from ui.api.logs import escape_controls, log_config


@pytest.mark.parametrize(
    ("raw", "logged"),
    [
        ("/v1/threads/t-1", "/v1/threads/t-1"),
        ("/x\n2030-01-01 INFO forged", "/x\\n2030-01-01 INFO forged"),
        ("/x\r\nSet: y", "/x\\r\\nSet: y"),
        ("/x\x1b[31mred", "/x\\x1b[31mred"),
        ("/x\x00\x7f\x85", "/x\\x00\\x7f\\x85"),
        ("/x\u2028y\u2029z", "/x\\u2028y\\u2029z"),
        ("/x\u202eevil", "/x\\u202eevil"),
        ("/café/ü 😀", "/café/ü 😀"),
    ],
    ids=[
        "plain",
        "newline",
        "crlf",
        "ansi",
        "c0-c1",
        "unicode-separators",
        "bidi-override",
        "printable-unicode",
    ],
)
def test_escape_controls(raw: str, logged: str) -> None:
    assert escape_controls(raw) == logged


def test_a_record_with_a_newline_in_its_arguments_is_one_line_on_every_configured_logger() -> None:
    stream = io.StringIO()
    config = log_config()
    config["handlers"]["stderr"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        logging.getLogger("carecoord.api").info("http %s %s %d", "GET", "/a\n2030 INFO forged", 404)
        logging.getLogger("uvicorn.error").warning("bad header %s", "x\r\ny")
    finally:
        for name in config["loggers"]:  # back to plain loggers, so later tests log as before
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.setLevel(logging.NOTSET)
            logger.propagate = True
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].endswith("http GET /a\\n2030 INFO forged 404")
    assert lines[1].endswith("bad header x\\r\\ny")
