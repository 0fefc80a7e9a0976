"""Text as the verifier reads it: one spelling for every character that has several.

Claims and evidence come from PubMed abstracts, FHIR displays, model prose and spreadsheets, and the
same fact is typed many ways: micro as U+00B5 (micro sign) or U+03BC (Greek mu), "℃" or "°C", a thin
or no-break space between number and unit, a Unicode minus or an en dash in "5–10 mg", a curly
apostrophe in "don’t", a zero-width joiner pasted in from a web page. NFKC folds most of them (µ → μ,
℃ → °C, the odd spaces → " ", full-width digits → ASCII); the table below does the rest. Both sides of
every comparison pass through here, so a fact written one way in the claim and another way in the
evidence still meets, and no character can reach a lookup table in a form it does not list.
"""

from __future__ import annotations

import unicodedata

_DASHES = "\u2010\u2011\u2012\u2013\u2043\u2212\ufe58\ufe63"
"""Hyphen, non-breaking hyphen, figure dash, en dash, hyphen bullet, minus sign, small em dash, small
hyphen-minus: each reads as "-" in a range or a compound ("5–10 mg", "−2"). The em dash stays (prose)."""
_LINE_BREAKS = "\u0085\u2028\u2029\u000b\u000c"
"""Next line, line and paragraph separators, vertical tab, form feed: whitespace, as "\\n" is."""
_INVISIBLE = (
    "\u00ad\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""Soft hyphen, zero-width space/non-joiner/joiner, word joiner, BOM, and the bidirectional marks and
embeddings: they change how text is shown, never what it says, and they split words for a tokenizer."""

_TABLE = str.maketrans(
    {
        **dict.fromkeys(_DASHES, "-"),
        **dict.fromkeys(_LINE_BREAKS, "\n"),
        **dict.fromkeys(_INVISIBLE, None),
        "\x00": " ",
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
    }
)


def normalize_text(text: str) -> str:
    """NFKC, then one form for dashes, quotes, line breaks and invisible characters."""
    return unicodedata.normalize("NFKC", text).translate(_TABLE)
