"""Seeded random strings for the safety screen's noise check (issue 13: random strings are never emergent).

Three shapes, in turn: arbitrary Unicode code points (any plane, as fuzzers send), printable ASCII with
punctuation and digits, and pseudo-words of random letters. Same seed, same strings.
"""

from __future__ import annotations

import random
import string

_PRINTABLE = string.ascii_letters + string.digits + string.punctuation + " "


def _code_point(rng: random.Random) -> str:
    while True:
        point = rng.randrange(0x20, 0x110000)
        if not 0xD800 <= point <= 0xDFFF:
            return chr(point)


def random_strings(count: int, seed: int = 13) -> list[str]:
    """`count` random strings of 1 to 40 characters."""
    rng = random.Random(seed)
    found: list[str] = []
    for n in range(count):
        length = rng.randint(1, 40)
        shape = n % 3
        if shape == 0:
            text = "".join(_code_point(rng) for _ in range(length))
        elif shape == 1:
            text = "".join(rng.choice(_PRINTABLE) for _ in range(length))
        else:
            words = [
                "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 9)))
                for _ in range(rng.randint(1, 8))
            ]
            text = " ".join(words)
        found.append(text)
    return found
