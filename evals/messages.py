"""Patient messages for the benchmarks, each one new to the process that answers it.

Repeating the same ten messages let the in-process embedding memo answer every message vector after
the first round, so benches measured a cache, not a turn. These are generated from templates and
fillers (seeded), distinct from each other and from the warm-up set, in the mix a clinic sees: record
questions, guidance, actions, symptoms, greetings and questions the corpus cannot answer.
"""

from __future__ import annotations

import random

OPENERS = (
    "",
    "Hi, ",
    "Hello, ",
    "Quick question: ",
    "Sorry to bother you, ",
    "Good morning, ",
    "Hey there, ",
)
CLOSERS = ("", " Thanks!", " Thank you.", " Please let me know.", " Appreciate it.")
TEMPLATES = (
    "what medications am I taking {when}?",
    "which pills am I supposed to be on {when}?",
    "when is my next appointment {when}?",
    "do I have a visit coming up {when}?",
    "what was my last A1c result?",
    "what did my most recent blood sugar test show?",
    "can I get a refill of my {drug}?",
    "I'm almost out of {drug}, can you renew it?",
    "I missed my {drug} dose {time}, what should I do?",
    "I forgot to take my {drug} {time}, is that a problem?",
    "how do I check my blood pressure at home {when}?",
    "what should I do for a fever of {temp}?",
    "I have had a fever of {temp} since {time}, should I worry?",
    "is it safe to take ibuprofen with my {drug}?",
    "what is the dose of {fake} for adults?",
    "what allergies are on my record {when}?",
    "what conditions are listed in my chart {when}?",
    "I have crushing chest pain that started {time}",
    "I feel dizzy and my {drug} makes me tired {when}",
    "can you book me with a heart doctor {when}?",
    "what does my care plan say about exercise {when}?",
)
FILLERS = {
    "when": ("right now", "these days", "at the moment", "currently", "this month", "for now", "today"),
    "drug": (
        "metformin",
        "lisinopril",
        "atorvastatin",
        "amlodipine",
        "levothyroxine",
        "sertraline",
        "insulin",
    ),
    "time": (
        "this morning",
        "last night",
        "yesterday",
        "two hours ago",
        "at lunch",
        "on Sunday",
        "earlier today",
    ),
    "temp": ("100.8", "101.5", "102", "103.1", "100.4", "101", "102.6"),
    "fake": ("Zorbitrex", "Quantrivex", "Melnoprazine", "Travozil", "Ostrafen", "Plexivar", "Dumorex"),
}


def unseen_messages(count: int, seed: int, exclude: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """`count` distinct messages (none in `exclude`), cycling through the templates so every kind appears."""
    rng = random.Random(seed)
    found: list[str] = []
    seen = set(exclude)
    attempts = 0
    while len(found) < count:
        attempts += 1
        if attempts > count * 200:
            raise ValueError(f"cannot make {count} distinct messages from the templates")
        template = TEMPLATES[len(found) % len(TEMPLATES)]
        body = template.format(**{key: rng.choice(values) for key, values in FILLERS.items()})
        opener = rng.choice(OPENERS)
        text = f"{opener}{body[0].upper() if not opener else body[0]}{body[1:]}{rng.choice(CLOSERS)}"
        if text not in seen:
            seen.add(text)
            found.append(text)
    return found
