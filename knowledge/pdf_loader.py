"""PDF articles through pypdf: text per page, title from the document info or the first line."""

from __future__ import annotations

import io
import logging

from knowledge.document import UnreadableError


def read_pdf(raw: bytes, fallback_title: str) -> tuple[str, str]:
    """Return `(title, text)` of a PDF, or raise `UnreadableError` for broken, locked or image-only files."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed files log noise before raising
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            raise UnreadableError("encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
        info_title = (reader.metadata.title if reader.metadata else None) or ""
    except PyPdfError as error:
        raise UnreadableError(f"broken PDF: {error}") from error
    except (ValueError, KeyError, TypeError, OSError) as error:
        raise UnreadableError(f"broken PDF: {error.__class__.__name__}") from error
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise UnreadableError("PDF has no extractable text (scanned image?)")
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    title = info_title.strip() or (first_line if len(first_line) <= 120 else fallback_title)
    return title, text
