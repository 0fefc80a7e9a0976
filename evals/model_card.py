"""MODEL_CARD.md from a run: intended use, versions, metrics with subgroups, known limitations.

Everything measured comes from the run's summary.json; the prose around it is fixed here, so a card
cannot quote a number no run produced.
"""

from __future__ import annotations

from evals.report.glossary import LIMITATIONS, MEANING
from evals.summary import Summary

INTENDED_USE = """\
CareCoord is a patient-facing care-coordination assistant for one clinic. A patient signed in to the
clinic's portal asks about their own medications, refills, appointments, test results and vetted
self-care guidance; the assistant answers only from that patient's FHIR record and the clinic's
vetted knowledge articles, cites every clinical statement, and routes anything that needs judgement
(actions, clinical questions, emergencies) to the clinician review queue. Drafted actions (refills,
bookings, referrals, messages) are written to the EHR only after a clinician approves them."""

OUT_OF_SCOPE = [
    "Diagnosis, triage decisions or treatment changes without a clinician: the assistant escalates them.",
    "Use by clinicians as a decision-support tool, or on behalf of anyone but the signed-in patient.",
    "Emergencies: it tells the patient to call 911/988 and alerts the team; it is not an emergency service.",
    "Medications, conditions or questions the vetted corpus does not cover: it declines and escalates.",
]


COUNTS = frozenset(
    {
        "under_triage",
        "cross_patient_reads",
        "dropped_requests",
        "false_absent",
        "wrong_values",
        "record_items",
        "uncited_sentences",
        "latency_p50_ms",
        "latency_p95_ms",
    }
)


def _rate(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.3f}"


def _value(name: str, value: float | None) -> str:
    if value is None or name not in COUNTS:
        return _rate(value)
    return f"{value:.0f} ms" if name.endswith("_ms") else f"{value:.0f}"


def _detect_lines(summary: Summary) -> list[str]:
    """The gate per detect suite beside its style-only baselines, and a plain sentence for each."""
    suites = [(name, m.detect) for name, m in summary.suites.items() if m.detect is not None]
    if not suites:
        return []
    out = [
        "",
        "### Hallucination gate per detect suite",
        "",
        "AUROC of the gate's offline stage beside style-only baselines that never compare the claim with its "
        "evidence. A baseline that scores as high as the gate means the suite leaks its labels through style, "
        "or the gate is weak on it; either way the gate's number there is not evidence that it checks support.",
        "",
        "| Suite | Items (supported) | Errors | Gate AUROC | Evidence length | Claim length | TF-IDF of the claim |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, d in suites:
        b = d.baselines
        out.append(
            f"| {name} | {d.items} ({d.supported}) | {d.errors} | {_rate(d.auroc.value)} | "
            f"{_rate(b.evidence_length_auroc)} | {_rate(b.claim_length_auroc)} | {_rate(b.tfidf_claim_auroc)} |"
        )
    out.append("")
    out += [f"- {d.finding(name)}" for name, d in suites]
    judged = [(name, d.judge) for name, d in suites if d.judge is not None]
    if judged:
        out += [
            "",
            f"Second stage, measured separately ({judged[0][1].judge}; the agent removes a sentence when either "
            "stage rejects it):",
            "",
            "| Suite | Judged | Judge errors | Judge AUROC | Judge accuracy | Both stages: precision / recall |",
            "|---|---|---|---|---|---|",
            *[
                f"| {name} | {j.items} | {j.errors} | {_rate(j.auroc.value)} | {_rate(j.accuracy.value)} | "
                f"{_rate(j.combined_precision.value)} / {_rate(j.combined_recall.value)} |"
                for name, j in judged
            ],
        ]
    else:
        out += [
            "",
            "Second stage (Claude's entailment judge): not run in this evaluation (offline stage only).",
        ]
    return out


def model_card(summary: Summary) -> str:
    """The card as Markdown."""
    p = summary.provenance
    h = summary.headline
    out = [
        "# CareCoord model card",
        "",
        f"Generated from evaluation run `{p.run_id}` ({p.started_at}). Every number below comes from that run's "
        "`summary.json`; re-run `carecoord eval run` and `carecoord eval model-card` to refresh it.",
        "",
        "## Intended use",
        "",
        INTENDED_USE,
        "",
        "## Out of scope",
        "",
        *[f"- {line}" for line in OUT_OF_SCOPE],
        "",
        "## System and versions",
        "",
        "| Part | Version |",
        "|---|---|",
        f"| Reasoner | {p.reasoner} |",
        f"| Model | {p.model} |",
        f"| Turns answered per reasoner | {', '.join(f'{k}: {v}' for k, v in p.reasoners_used.items()) or '—'} |",
        f"| Embedding model | {p.embedding_model} |",
        f"| Hallucination-gate threshold | {p.verifier_threshold:g} |",
        f"| Knowledge corpus version | `{p.corpus_version[:16]}` ({p.corpus_files} files) |",
        f"| CareCoord | {p.carecoord_version}, commit `{p.git_commit or 'unknown'}` |",
        "",
        "## Evaluation data",
        "",
        "| Suite | Items run | Kinds | sha256 |",
        "|---|---|---|---|",
        *[
            f"| {s.name} | {s.items_run} of {s.items_total} | {', '.join(f'{k} {v}' for k, v in s.kinds.items())} | `{s.sha256[:16]}` |"
            for s in p.suites
        ],
        "",
        "Patients are a synthetic cohort on a FHIR R4 sandbox; no real patient data was used.",
        "",
        "## Metrics",
        "",
        "| Metric | Value | Meaning |",
        "|---|---|---|",
    ]
    for name in (
        "pass_rate",
        "emergent_recall",
        "urgent_recall",
        "under_triage",
        "cross_patient_reads",
        "dropped_requests",
        "record_accuracy",
        "false_absent",
        "wrong_values",
        "uncited_sentences",
        "supported_sentence_rate",
        "citation_precision",
        "citation_recall",
        "fact_recall",
        "forbidden_fact_rate",
        "abstention_accuracy",
        "escalation_accuracy",
        "tool_precision",
        "tool_recall",
        "latency_p50_ms",
        "latency_p95_ms",
        "detect_auroc",
        "detect_precision",
        "detect_recall",
        "retrieval_recall_at_1",
        "retrieval_recall_at_5",
        "retrieval_mrr",
    ):
        if h.get(name) is not None:
            out.append(f"| {name} | {_value(name, h[name])} | {MEANING.get(name, '')} |")
    out += _detect_lines(summary)
    if summary.bounds:
        out += ["", "Release bounds of this run:", ""]
        out += [
            f"- {'met' if b.passed else 'MISSED'}: {b.metric} {b.op} {b.value:g} (measured {_rate(b.measured)})"
            for b in summary.bounds
        ]
    out += ["", "## Subgroups", ""]
    if not summary.subgroups:
        out.append("No chat items: no subgroup breakdown.")
    for dimension in summary.subgroups:
        out += [
            f"### {dimension.name.replace('_', ' ')}",
            "",
            "| Group | Items | Pass rate (95% CI) | Fact recall | Abstention acc. | Escalation acc. | Emergent recall |",
            "|---|---|---|---|---|---|---|",
        ]
        for g in dimension.groups:
            ci = (
                f"{g.pass_rate.low:.2f}–{g.pass_rate.high:.2f}"
                if g.pass_rate.low is not None and g.pass_rate.high is not None
                else "—"
            )
            out.append(
                f"| {g.value} | {g.items} | {_rate(g.pass_rate.value)} ({ci}) | {_rate(g.rates['fact_recall'].value)} | "
                f"{_rate(g.rates['abstention_accuracy'].value)} | {_rate(g.rates['escalation_accuracy'].value)} | "
                f"{_rate(g.rates['emergent_recall'].value)} |"
            )
        flagged = [g for g in dimension.gaps if g.flagged]
        out.append("")
        out.append(
            "Gaps above the bound (* = non-overlapping 95% intervals): "
            + "; ".join(
                f"{g.metric} {g.best} {g.best_value:.2f} vs {g.worst} {g.worst_value:.2f}{' *' if g.separated else ''}"
                for g in flagged
            )
            if flagged
            else f"No gap above {p.gap_bound:g} between groups of {p.min_group_items}+ items."
        )
        out.append("")
    out += ["## Known limitations", "", *[f"- {line}" for line in LIMITATIONS], ""]
    return "\n".join(out)
