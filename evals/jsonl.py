"""JSON Lines as the evals write and read them: one object per line, everything non-ASCII escaped.

Two rules, each enough on its own, kept together so neither side depends on the other being right:

- Writing escapes everything outside ASCII (`ensure_ascii`). A raw U+2028/U+2029 or U+0085 is legal
  inside a JSON string, and `str.splitlines()` treats each as a line break; escaped, it cannot split
  a line in any reader, and the file stays valid for tools that assume ASCII-safe JSONL.
- Reading splits on line feeds (LF) only (a trailing carriage return is dropped, for files edited
  on Windows) and accepts a byte-order mark at the start, so a file written by another tool with
  raw separators still loads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

BOM = "\ufeff"


def dumps_line(value: Any) -> str:
    """One JSON object as one line, newline included; non-ASCII characters escaped."""
    return json.dumps(value, ensure_ascii=True) + "\n"


def decode(raw: bytes) -> str:
    """UTF-8 text with a leading byte-order mark removed (raises `UnicodeDecodeError` on bad bytes)."""
    return raw.decode("utf-8").removeprefix(BOM)


def numbered_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) for every non-blank line, split on line feeds (LF) only."""
    for number, line in enumerate(text.removeprefix(BOM).split("\n"), start=1):
        line = line.removesuffix("\r")
        if line.strip(" \t"):
            yield number, line
