"""Read source files (Markdown, plain text, HTML, PDF) into one `Document` shape, or say why not.

Every loader yields the same thing: article metadata plus `Section`s, each the text under one
heading path. Chunking then never needs to know the file format. A file that cannot be used
becomes a `Skipped` with a reason a person can act on; ingestion counts it and carries on.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml

from knowledge.document import Document, Skipped, UnreadableError
from knowledge.sections import markdown_sections, plain_sections

SUPPORTED_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".html", ".htm", ".pdf"})
__all__ = ["Document", "Skipped", "UnreadableError", "discover", "load_document"]

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)


def discover(paths: Iterable[Path]) -> Iterator[Path]:
    """Expand folders into their supported files (sorted, hidden files ignored); files pass through."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden and child.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield child
        else:
            yield path


def load_document(path: Path) -> Document | Skipped:
    """Load one file; anything unreadable comes back as `Skipped` rather than raising."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        return Skipped(path, f"cannot read file: {error.strerror or error}")
    suffix = path.suffix.lower()
    try:
        if suffix not in SUPPORTED_SUFFIXES:
            raise UnreadableError(f"unsupported file type '{suffix or path.name}'")
        if not raw.strip():
            raise UnreadableError("empty file")
        if suffix == ".pdf":
            from knowledge.pdf_loader import read_pdf

            title, text = read_pdf(raw, fallback_title=_title_from_name(path))
            document = _plain_document(path, title, text)
        else:
            text = _decode(raw)
            if suffix in {".html", ".htm"}:
                from knowledge.html_loader import read_html

                document = read_html(text, path)
            elif suffix == ".txt":
                document = _plain_document(path, _title_from_name(path), text)
            else:
                document = _markdown_document(text, path)
    except UnreadableError as error:
        return Skipped(path, str(error))
    if not any(section.text.strip() for section in document.sections):
        return Skipped(path, "no text content")
    return _with_hash(document, raw)


def _decode(raw: bytes) -> str:
    if b"\x00" in raw[:8192]:
        raise UnreadableError("binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableError(f"not valid UTF-8 text (byte {error.start})") from error


def _markdown_document(text: str, path: Path) -> Document:
    meta: dict[str, object] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as error:
            raise UnreadableError(f"invalid YAML front matter: {error.__class__.__name__}") from error
        if not isinstance(loaded, dict):
            raise UnreadableError("front matter is not a mapping")
        meta = {str(key): value for key, value in loaded.items()}
        text = text[match.end() :]
    fallback_title = str(meta.get("title") or _first_heading(text) or _title_from_name(path))
    title, sections = markdown_sections(text, fallback_title)
    return Document(
        source=path,
        article_id=str(meta.get("id") or path.stem),
        title=str(meta.get("title") or title),
        sections=sections,
        guideline=str(meta.get("guideline") or ""),
        audience=str(meta.get("audience") or "patient"),
        topics=_topics(meta.get("topics")),
        reviewed=str(meta.get("reviewed") or ""),
    )


def _plain_document(path: Path, title: str, text: str) -> Document:
    return Document(source=path, article_id=path.stem, title=title, sections=plain_sections(text, title))


def _topics(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple):
        return tuple(str(part).strip() for part in value if str(part).strip())
    return ()


def _first_heading(text: str) -> str | None:
    match = re.search(r"^#\s+(.+?)\s*#*\s*$", text, re.MULTILINE)
    return match.group(1) if match else None


def _title_from_name(path: Path) -> str:
    return path.stem.replace("-", " ").replace("_", " ").strip().capitalize()


def _with_hash(document: Document, raw: bytes) -> Document:
    from dataclasses import replace

    return replace(document, sha256=hashlib.sha256(raw).hexdigest())
