"""Reading row tables from the formats datasets ship in: JSON, JSON Lines, Arrow, Parquet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.jsonl import decode, numbered_lines


def read_rows(source: Path) -> list[dict[str, Any]]:
    """Rows of a `.json` (array, or `{"data": [...]}`), `.jsonl`, `.arrow` or `.parquet` file.

    JSON Lines are split on line feeds only: a raw U+2028/U+2029 in a string is text, not a line break.

    A folder is read file by file (a `datasets.save_to_disk` folder holds `data-*.arrow`).
    """
    if source.is_dir():
        files = sorted(p for p in source.rglob("*") if p.suffix in (".arrow", ".parquet", ".json", ".jsonl"))
        files = [p for p in files if p.name not in ("dataset_info.json", "state.json", "dataset_dict.json")]
        if not files:
            raise FileNotFoundError(f"{source} holds no .arrow, .parquet, .json or .jsonl file")
        return [row for path in files for row in read_rows(path)]
    if source.suffix == ".arrow":
        return _arrow(source)
    if source.suffix == ".parquet":
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        return list(pq.read_table(source).to_pylist())
    text = decode(source.read_bytes())
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        return [_json_line(source, number, line) for number, line in numbered_lines(text)]
    if isinstance(whole, list):
        return [row for row in whole if isinstance(row, dict)]
    if isinstance(whole, dict) and isinstance(whole.get("data"), list):
        return [row for row in whole["data"] if isinstance(row, dict)]
    return [whole] if isinstance(whole, dict) else []


def _json_line(source: Path, number: int, line: str) -> dict[str, Any]:
    """One JSON Lines row; a broken line names its place (`ValueError`, a one-line CLI error)."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source}:{number}: not JSON ({exc.msg})") from exc
    if not isinstance(row, dict):
        raise ValueError(f"{source}:{number}: a row must be a JSON object")
    return row


def _arrow(path: Path) -> list[dict[str, Any]]:
    """Arrow IPC: the stream format `datasets` writes, or the file format."""
    import pyarrow as pa

    with pa.memory_map(str(path)) as source:
        try:
            table = pa.ipc.open_stream(source).read_all()
        except pa.ArrowInvalid:
            source.seek(0)
            table = pa.ipc.open_file(source).read_all()
    return list(table.to_pylist())


def text_list(value: Any) -> list[str]:
    """A context field as a list of passages (a list, a JSON-encoded list, or one string)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if str(v).strip()]
    if isinstance(value, dict):
        contexts = value.get("contexts")
        return text_list(contexts) if contexts is not None else [json.dumps(value)]
    text = str(value)
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            return [text]
        if isinstance(parsed, list):
            return [str(v) for v in parsed if str(v).strip()]
    return [text] if text.strip() else []
