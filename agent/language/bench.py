"""Micro-benchmark of the language pipeline: `python -m agent.language.bench [--messages 200] [--rounds 5]`.

Times `analyze()` warm on varied patient messages (record questions with times, caregivers, negations,
history, questions about signs, readings, typos, multi-part asks, noise) built from the concept tables with
a fixed seed, and reports p50/p95/max in milliseconds. Target: p95 < 5 ms warm.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import datetime

from agent.language.pipeline import analyze, language_pipeline
from tools.clock import Clock
from tools.concepts import observation_table, specialties

TEMPLATES = (
    "what was my {lab} {past}?",
    "whats my latest {lab} and {lab2}",
    "show me my {lab} over the last {n} months",
    "my {relation} has {symptom} since {past_short}",
    "what medications does my {relation} {name} take?",
    "no {symptom} but I have {symptom2}",
    "I had a {condition} {past_short}, now I have {symptom}",
    "what are the signs of a {condition}?",
    "if my {lab} goes below {n} what do I do",
    "my {lab} is {n}{unit} and I feel {symptom}",
    "please record my BP {n}/{n2}",
    "refill {drug} and also my {drug2}",
    "book me with {specialty} {future}",
    "can I see the {specialty} {future}? my {lab} was high",
    "What are safe painkillers for diabetic patients over {n}?",
    "denies {symptom}, history of {condition}",
    "{symptom} for {n} minutes, I have a history of {condition}",
    "is it ok to take {drug} with {drug2}",
    "{noise}",
)
PAST = (
    "yesterday",
    "last week",
    "in january",
    "since March",
    "on November 12, 2023",
    "between March and June",
)
FUTURE = ("next week", "in january", "tomorrow morning", "on monday", "in 2 weeks", "sometime this month")
SYMPTOMS = (
    "chest pain",
    "a fever",
    "shortness of breath",
    "a headache",
    "dizzy",
    "a stiff neck",
    "nausea",
    "chils",
)
CONDITIONS = ("stroke", "heart attack", "diabetes", "blood clot", "pneumonia", "heart failure")
DRUGS = ("metformin", "Lasix", "insulin", "lisinopril", "Eliquis", "atorvastatin", "metformn", "albuterol")
RELATIONS = ("wife", "husband", "mom", "son", "daughter", "dad")
NAMES = ("Uma", "Raj", "Ana", "Li", "Tom")
UNITS = ("", " mg/dL", " mmol/L", "%", " lbs")


def messages(count: int = 200, seed: int = 7) -> list[str]:
    """`count` varied messages, the same for a given seed."""
    rng = random.Random(seed)
    labs = [
        name for c in observation_table().concepts.values() for name in (*c.names[:2], *c.abbreviations[:1])
    ]
    names = [s for sp in specialties() for s in sp.names[:2]]
    out = []
    for i in range(count):
        template = TEMPLATES[i % len(TEMPLATES)]
        noise = "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz %!?腔×\U0010d977") for _ in range(rng.randint(3, 30))
        )
        out.append(
            template.format(
                lab=rng.choice(labs),
                lab2=rng.choice(labs),
                past=rng.choice(PAST),
                past_short=rng.choice(PAST[:4]),
                future=rng.choice(FUTURE),
                n=rng.randint(2, 300),
                n2=rng.randint(50, 110),
                unit=rng.choice(UNITS),
                relation=rng.choice(RELATIONS),
                name=rng.choice(NAMES),
                symptom=rng.choice(SYMPTOMS),
                symptom2=rng.choice(SYMPTOMS),
                condition=rng.choice(CONDITIONS),
                drug=rng.choice(DRUGS),
                drug2=rng.choice(DRUGS),
                specialty=rng.choice(names),
                noise=noise,
            )
        )
    return out


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> None:
    """Build the pipeline, warm it, time every message `rounds` times, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    language_pipeline()
    build_s = time.perf_counter() - started
    clock = Clock("America/New_York", datetime(2024, 3, 15, 9, 30))
    texts = messages(args.messages)
    for text in texts:
        analyze(text, clock=clock)
    per_message: list[list[float]] = [[] for _ in texts]
    for _ in range(args.rounds):
        for i, text in enumerate(texts):
            t0 = time.perf_counter()
            analyze(text, clock=clock, prefer="future" if i % 2 else "past")
            per_message[i].append((time.perf_counter() - t0) * 1000)
    calls = [t for row in per_message for t in row]
    medians = [statistics.median(row) for row in per_message]
    print(f"language pipeline: {len(texts)} messages x {args.rounds} rounds, build {build_s:.2f} s")
    print(
        f"  every call:          p50 {statistics.median(calls):.2f} ms   p95 {percentile(calls, 95):.2f} ms   "
        f"max {max(calls):.2f} ms   (target p95 < 5 ms)"
    )
    print(
        f"  per-message median:  p50 {statistics.median(medians):.2f} ms   p95 {percentile(medians, 95):.2f} ms   "
        f"max {max(medians):.2f} ms   (robust to a busy machine)"
    )


if __name__ == "__main__":
    main()
