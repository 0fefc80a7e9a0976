"""HTML articles: title from `<title>`/`<h1>`, sections from `<h1>`–`<h3>`, optional `<meta>` metadata."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup, Tag

from knowledge.document import Document
from knowledge.sections import clean_inline, sections_from_blocks

_HEADINGS = {"h1": 1, "h2": 2, "h3": 3}
_TEXT_TAGS = ("p", "li", "td", "th", "dd", "dt", "pre", "blockquote", "h4", "h5", "h6")
_DROP = ("script", "style", "nav", "footer", "header", "noscript", "template")


def read_html(text: str, path: Path) -> Document:
    """Parse one HTML page into a Document (boilerplate such as nav and scripts is dropped)."""
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup.find_all(_DROP):
        tag.decompose()
    h1 = soup.find("h1")
    title = _text(soup.title) or _text(h1) or path.stem.replace("-", " ").capitalize()
    root = soup.body or soup
    blocks: list[tuple[int, str]] = []
    for element in root.find_all([*_HEADINGS, *_TEXT_TAGS]):
        if element.find_parent(_TEXT_TAGS) is not None:
            continue  # nested inside a block already taken whole (a <p> inside an <li>)
        value = _text(element)
        if value:
            blocks.append((_HEADINGS.get(element.name, 0), value))
    if not blocks:
        loose = clean_inline(root.get_text(" "))
        blocks = [(0, loose)] if loose else []
    return Document(
        source=path,
        article_id=_meta(soup, "id") or path.stem,
        title=title,
        sections=sections_from_blocks(title, blocks),
        guideline=_meta(soup, "guideline"),
        audience=_meta(soup, "audience") or "patient",
        topics=tuple(part.strip() for part in _meta(soup, "topics").split(",") if part.strip()),
    )


def _text(tag: object) -> str:
    return clean_inline(tag.get_text(" ")) if isinstance(tag, Tag) else ""


def _meta(soup: BeautifulSoup, name: str) -> str:
    tag = soup.find("meta", attrs={"name": name})
    content = tag.get("content") if isinstance(tag, Tag) else None
    return str(content).strip() if content else ""
