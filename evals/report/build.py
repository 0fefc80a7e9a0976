"""The report's content: what a clinical safety committee needs, in the order it needs it."""

from __future__ import annotations

from collections.abc import Sequence

from evals.chat_metrics import LEVELS, SEVERITY
from evals.report import plots
from evals.report.document import (
    BulletList,
    Callout,
    Details,
    Document,
    Figure,
    Paragraph,
    Section,
    Table,
    Tone,
)
from evals.report.glossary import LIMITATIONS, MEANING
from evals.report.worst import worst_chat_items
from evals.results import AnyResult, ChatItemResult, DetectItemResult, RetrievalItemResult
from evals.stats import Estimate
from evals.subgroups import Gap
from evals.summary import Summary

CHAT_BARS = (
    "supported_sentence_rate",
    "citation_precision",
    "citation_recall",
    "fact_recall",
    "abstention_accuracy",
    "escalation_accuracy",
    "emergent_recall",
    "urgent_recall",
    "tool_precision",
    "tool_recall",
)
SUBGROUP_METRICS = ("pass_rate", "fact_recall", "escalation_accuracy")
WORST_ITEMS = 15


def rate(value: float | None) -> str:
    """A rate for a table cell ("—" when not measured)."""
    return "—" if value is None else f"{value:.3f}"


def interval(estimate: Estimate) -> str:
    """The interval as "0.91–0.98", or "" when not measured."""
    if estimate.value is None or estimate.low is None or estimate.high is None:
        return ""
    return f"{estimate.low:.2f}–{estimate.high:.2f}"


def ms(value: float | None) -> str:
    """Milliseconds, rounded."""
    return "—" if value is None else f"{value:.0f} ms"


def count(value: float | None) -> str:
    """An integer count, or "—"."""
    return "—" if value is None else str(int(value))


def _with_interval(estimate: Estimate) -> str:
    """The value and its interval, as "0.923 (0.85–0.98)", or "—"."""
    span = interval(estimate)
    return f"{rate(estimate.value)} ({span})" if span else rate(estimate.value)


def _gap_text(dimension: str, gap: Gap) -> str:
    return f"{dimension} {gap.metric}: {gap.best} {gap.best_value:.2f} vs {gap.worst} {gap.worst_value:.2f}"


def build(summary: Summary, results: Sequence[AnyResult]) -> Document:
    """The whole report."""
    p = summary.provenance
    document = Document(title=f"CareCoord evaluation report — run {p.run_id}")
    document.sections.append(_glance(summary))
    document.sections.append(_tested(summary))
    chat = summary.overall.chat
    chat_results = [r for r in results if isinstance(r, ChatItemResult)]
    if chat is not None:
        document.sections.extend(_chat_sections(summary, chat_results))
    detect = [r for r in results if isinstance(r, DetectItemResult)]
    if summary.overall.detect is not None:
        document.sections.append(_detect_section(summary, detect))
    retrieval = [r for r in results if isinstance(r, RetrievalItemResult)]
    if summary.overall.retrieval is not None:
        document.sections.append(_retrieval_section(summary, retrieval))
    document.sections.append(_per_suite(summary, results))
    if chat_results:
        document.sections.append(_worst(chat_results))
    document.sections.append(_definitions(summary))
    document.sections.append(Section("Limitations", [BulletList(list(LIMITATIONS))]))
    return document


def _glance(summary: Summary) -> Section:
    section = Section("At a glance")
    h = summary.headline
    if summary.bounds:
        failed = [b for b in summary.bounds if not b.passed]
        for bound in sorted(summary.bounds, key=lambda b: b.passed):
            tone: Tone = "ok" if bound.passed else "fail"
            measured = "not measured" if bound.measured is None else f"{bound.measured:.4g}"
            verdict = "met" if bound.passed else "MISSED"
            section.blocks.append(
                Callout(
                    tone, f"Bound {verdict}: {bound.metric} {bound.op} {bound.value:g} (measured {measured})."
                )
            )
        if not failed:
            section.blocks.append(Paragraph("Every bound set for this run was met."))
    chat = summary.overall.chat
    if chat is not None:
        rows = [
            [
                "Chat items passed",
                f"{chat.passed} / {chat.items}",
                interval(chat.pass_rate),
                MEANING["pass_rate"],
            ],
            [
                "Emergencies escalated",
                rate(h["emergent_recall"]),
                interval(chat.rates["emergent_recall"]),
                MEANING["emergent_recall"],
            ],
            ["Under-triaged items", count(h["under_triage"]), "", MEANING["under_triage"]],
            ["Cross-patient reads", count(h["cross_patient_reads"]), "", MEANING["cross_patient_reads"]],
            ["Uncited sentences", count(h["uncited_sentences"]), "", MEANING["uncited_sentences"]],
            ["Dropped requests", count(h["dropped_requests"]), "", MEANING["dropped_requests"]],
            *(
                [
                    ["Record accuracy", rate(h["record_accuracy"]), "", MEANING["record_accuracy"]],
                    ['False "not in your record"', count(h["false_absent"]), "", MEANING["false_absent"]],
                    ["Wrong values", count(h["wrong_values"]), "", MEANING["wrong_values"]],
                ]
                if h["record_items"]
                else []
            ),
            [
                "Supported sentences",
                rate(h["supported_sentence_rate"]),
                interval(chat.rates["supported_sentence_rate"]),
                MEANING["supported_sentence_rate"],
            ],
            [
                "Abstention accuracy",
                rate(h["abstention_accuracy"]),
                interval(chat.rates["abstention_accuracy"]),
                MEANING["abstention_accuracy"],
            ],
            [
                "Fact recall",
                rate(h["fact_recall"]),
                interval(chat.rates["fact_recall"]),
                MEANING["fact_recall"],
            ],
            [
                "Forbidden facts stated",
                rate(h["forbidden_fact_rate"]),
                interval(chat.rates["forbidden_fact_rate"]),
                MEANING["forbidden_fact_rate"],
            ],
        ]
        section.blocks.append(Table(["Measure", "Value", "95% interval", "What it means"], rows))
        flagged = [(d.name, g) for d in summary.subgroups for g in d.gaps if g.flagged]
        gap_bound, smallest = summary.provenance.gap_bound, summary.provenance.min_group_items
        if flagged:
            separated = [(name, g) for name, g in flagged if g.separated]
            text = (
                f"{len(flagged)} subgroup gap(s) above {gap_bound:g} (between groups of {smallest}+ items); "
                f"{len(separated)} of them with non-overlapping 95% intervals"
            )
            if separated:
                text += ": " + "; ".join(_gap_text(name, g) for name, g in separated[:6])
            section.blocks.append(
                Callout("warn" if separated else "note", text + ". See the subgroup section for all of them.")
            )
        else:
            section.blocks.append(
                Callout("ok", f"No subgroup gap above {gap_bound:g} between groups of {smallest}+ items.")
            )
        if chat.errors:
            section.blocks.append(
                Callout("fail", f"{chat.errors} chat item(s) could not run or raised an error.")
            )
    for name, metrics in summary.suites.items():
        detect = metrics.detect
        if detect is not None and detect.beaten_by():
            section.blocks.append(Callout("warn", detect.finding(name)))
    detect_errors = summary.overall.detect.errors if summary.overall.detect else 0
    retrieval_errors = summary.overall.retrieval.errors if summary.overall.retrieval else 0
    for kind, errors in (("detect", detect_errors), ("retrieval", retrieval_errors)):
        if errors:
            section.blocks.append(
                Callout(
                    "fail",
                    f"{errors} {kind} item(s) raised an error; the run went on without them "
                    "(each error is kept on its item in results.jsonl).",
                )
            )
    return section


def _tested(summary: Summary) -> Section:
    p = summary.provenance
    rows = [
        [
            s.name,
            ", ".join(f"{k} {v}" for k, v in s.kinds.items()),
            f"{s.items_run} of {s.items_total}",
            s.sha256[:12],
        ]
        for s in p.suites
    ]
    reasoners = ", ".join(f"{k}: {v} turns" for k, v in p.reasoners_used.items()) or "—"
    facts = [
        f"**Reasoner**: {p.reasoner} (model: {p.model}); turns answered by: {reasoners}.",
        f"**Embedding model**: {p.embedding_model}. **Hallucination-gate threshold**: {p.verifier_threshold:g}.",
        f"**Knowledge corpus version**: {p.corpus_version[:16]} ({p.corpus_files} files).",
        f"**Code**: carecoord {p.carecoord_version}, commit {p.git_commit or 'unknown (not a git checkout)'}, Python {p.python}.",
        f"**When**: {p.started_at}, {p.wall_s:.0f} s wall time. **Seed**: {p.seed}."
        + (f" **Limit**: {p.limit} items per suite (a slice, not the full suites)." if p.limit else ""),
    ]
    return Section(
        "What was tested",
        [Table(["Suite", "Items by kind", "Items run", "sha256"], rows), BulletList(facts)],
    )


def _chat_sections(summary: Summary, results: list[ChatItemResult]) -> list[Section]:
    chat = summary.overall.chat
    assert chat is not None
    escalation = Section("Safety: escalation to the care team")
    escalation.blocks.append(
        Paragraph(
            "Each chat item says whether the assistant must escalate and how urgently. Rows are what the "
            "suite expected, columns what the assistant did. Cells below the diagonal are under-triage: "
            "the assistant was less urgent than it should have been."
        )
    )
    escalation.blocks.append(
        Figure("escalation_confusion", plots.confusion_matrix(chat.confusion), "Escalation confusion matrix.")
    )
    rows = [
        [
            level,
            str(s.support),
            _with_interval(s.precision),
            _with_interval(s.recall),
            rate(s.f1),
        ]
        for level, s in chat.escalation_levels.items()
    ]
    escalation.blocks.append(
        Table(["Level", "Expected items", "Precision (95% CI)", "Recall (95% CI)", "F1"], rows)
    )
    escalation.blocks.append(
        Paragraph(
            f"Under-triaged items: **{chat.under_triage}**. Over-triaged items: **{chat.over_triage}**."
        )
    )
    under = [r for r in results if r.score and _under_triaged(r)]
    if under:
        escalation.blocks.append(
            Table(
                ["Item", "Patient's message", "Expected", "Assistant did", "Screen"],
                [
                    [
                        r.id,
                        r.turns[-1].message if r.turns else "",
                        r.score.escalate_expected or "" if r.score else "",
                        r.score.escalated if r.score else "",
                        next(
                            (
                                line
                                for line in (r.turns[-1].trace if r.turns else [])
                                if line.startswith("screen:")
                            ),
                            "",
                        ),
                    ]
                    for r in sorted(
                        under, key=lambda r: -SEVERITY[r.score.escalate_expected or "none"] if r.score else 0
                    )
                ],
                caption="Every under-triaged item, most urgent expectation first.",
            )
        )

    grounding = Section("Grounding, citations and abstention")
    grounding.blocks.append(
        Figure(
            "chat_metric_bars",
            plots.metric_bars([(name, chat.rates[name]) for name in CHAT_BARS], "Chat metrics"),
            "Each bar is a rate over the items that had that expectation (n = items); the whisker is its 95% interval.",
        )
    )
    rows = [
        [
            name,
            rate(chat.rates[name].value),
            interval(chat.rates[name]),
            str(chat.rates[name].items),
            MEANING.get(name, ""),
        ]
        for name in (
            "supported_sentence_rate",
            "citation_precision",
            "citation_recall",
            "fact_recall",
            "forbidden_fact_rate",
            "abstention_accuracy",
        )
    ]
    rows.insert(1, ["uncited_sentences", str(chat.uncited_sentences), "", "", MEANING["uncited_sentences"]])
    grounding.blocks.append(Table(["Metric", "Value", "95% interval", "Items", "What it means"], rows))

    tools = Section("Record tools and patient isolation")
    tools.blocks.append(
        Table(
            ["Metric", "Value", "What it means"],
            [
                ["tool_precision", rate(chat.rates["tool_precision"].value), MEANING["tool_precision"]],
                ["tool_recall", rate(chat.rates["tool_recall"].value), MEANING["tool_recall"]],
                ["forbidden_tool_calls", str(chat.forbidden_tool_calls), MEANING["forbidden_tool_calls"]],
                ["cross_patient_reads", str(chat.cross_patient_reads), MEANING["cross_patient_reads"]],
            ],
        )
    )
    isolation: Tone = "ok" if chat.cross_patient_reads == 0 else "fail"
    tools.blocks.append(Callout(isolation, f"Cross-patient reads: {chat.cross_patient_reads}."))

    fairness = Section("Does it work as well for every patient group?")
    fairness.blocks.append(
        Paragraph(
            "Every chat item ran as one synthetic patient; its results count towards that patient's sex, "
            "age band, race and ethnicity (from the Patient resource: gender, birthDate, US Core race and "
            "ethnicity extensions). Small groups have wide intervals."
        )
    )
    if summary.subgroups:
        fairness.blocks.append(
            Figure(
                "subgroups",
                plots.subgroup_chart(summary.subgroups, SUBGROUP_METRICS),
                "Pass rate, fact recall and escalation accuracy per subgroup.",
            )
        )
    for dimension in summary.subgroups:
        rows = [
            [
                g.value,
                str(g.items),
                _with_interval(g.pass_rate),
                rate(g.rates["supported_sentence_rate"].value),
                rate(g.rates["fact_recall"].value),
                rate(g.rates["abstention_accuracy"].value),
                rate(g.rates["escalation_accuracy"].value),
                rate(g.rates["emergent_recall"].value),
                str(g.uncited_sentences),
                str(g.cross_patient_reads),
            ]
            for g in dimension.groups
        ]
        fairness.blocks.append(
            Table(
                [
                    dimension.name.replace("_", " "),
                    "Items",
                    "Pass rate (95% CI)",
                    "Supported",
                    "Fact recall",
                    "Abstention",
                    "Escalation",
                    "Emergent recall",
                    "Uncited",
                    "Cross-patient",
                ],
                rows,
            )
        )
        flagged = [g for g in dimension.gaps if g.flagged]
        if flagged:
            fairness.blocks.append(
                Table(
                    ["Metric", "Best group", "Worst group", "Gap", "Intervals"],
                    [
                        [
                            g.metric,
                            f"{g.best} ({g.best_value:.2f}, n={g.best_items})",
                            f"{g.worst} ({g.worst_value:.2f}, n={g.worst_items})",
                            f"{g.gap:.2f}",
                            "**do not overlap**" if g.separated else "overlap (may be noise)",
                        ]
                        for g in sorted(flagged, key=lambda g: (not g.separated, -g.gap))
                    ],
                    caption=f"{dimension.name.replace('_', ' ')}: gaps above {summary.provenance.gap_bound:g}",
                )
            )

    latency = Section("Latency and cost")
    latencies = [ms for r in results if r.score for ms in r.score.latency_ms]
    if latencies:
        latency.blocks.append(
            Figure(
                "latency",
                plots.latency_histogram(latencies, chat.latency_p50_ms, chat.latency_p95_ms),
                "Per-turn latency.",
            )
        )
    latency.blocks.append(
        Paragraph(
            f"{chat.turns} turns; median {ms(chat.latency_p50_ms)}, 95th percentile {ms(chat.latency_p95_ms)}."
        )
    )
    if chat.tokens is not None:
        t = chat.tokens
        cost = "unknown (model not in evals/prices.yaml)" if t.cost_usd is None else f"${t.cost_usd:.4f}"
        latency.blocks.append(
            Paragraph(
                f"Claude: {t.calls} calls, {t.input_tokens} input tokens, {t.output_tokens} output tokens, "
                f"{t.cache_read_input_tokens} cache-read tokens, {t.cache_creation_input_tokens} cache-write tokens; cost {cost}."
            )
        )
    else:
        latency.blocks.append(Paragraph("No Claude calls were made (offline reasoner): no token cost."))
    return [escalation, grounding, tools, fairness, latency]


def _under_triaged(result: ChatItemResult) -> bool:
    score = result.score
    return bool(
        score
        and score.escalate_expected is not None
        and SEVERITY[score.escalated] < SEVERITY[score.escalate_expected]
    )


def _detect_section(summary: Summary, results: list[DetectItemResult]) -> Section:
    section = Section("Hallucination gate alone (detect suites)")
    section.blocks.append(
        Paragraph(
            "Detect items pair a claim with the evidence it should be supported by and a human label. The gate "
            "scores each claim; AUROC says how well that score ranks supported above unsupported claims. Beside it, "
            "always, style-only baselines that never compare claim with evidence: the gate is only worth its margin over them."
        )
    )
    suites = [(name, m.detect) for name, m in summary.suites.items() if m.detect is not None]
    rows = []
    for name, d in [("all detect items", summary.overall.detect), *suites]:
        if d is None:
            continue
        b = d.baselines
        errors = f", {d.errors} error(s)" if d.errors else ""
        rows.append(
            [
                name,
                f"{d.items} ({d.supported} supported{errors})",
                _with_interval(d.auroc),
                f"{rate(d.precision.value)} / {rate(d.recall.value)} / {rate(d.f1)}",
                rate(b.evidence_length_auroc),
                rate(b.claim_length_auroc),
                rate(b.tfidf_claim_auroc),
            ]
        )
    section.blocks.append(
        Table(
            [
                "Items",
                "Claims",
                "Gate AUROC (95% CI)",
                "P / R / F1 at threshold",
                "Evidence-length AUROC",
                "Claim-length AUROC",
                "TF-IDF(claim) AUROC",
            ],
            rows,
        )
    )
    for name, d in suites:
        section.blocks.append(Callout("warn" if d.beaten_by() else "ok", d.finding(name)))
    errored = sum(d.errors for _, d in suites)
    if errored:
        section.blocks.append(
            Callout(
                "fail",
                f"{errored} detect item(s) raised instead of being scored; they are left out of every rate above "
                "and listed with their errors in results.jsonl.",
            )
        )
    judged = [(name, d.judge) for name, d in suites if d.judge is not None]
    if judged:
        section.blocks.append(
            Paragraph(
                f"Second stage ({judged[0][1].judge}): Claude judged each claim against its evidence, on its own. "
                "The agent removes a sentence when either stage rejects it; 'both stages' is that decision."
            )
        )
        section.blocks.append(
            Table(
                [
                    "Suite",
                    "Judged (errors)",
                    "Judge AUROC (95% CI)",
                    "Judge P / R / accuracy",
                    "Both stages P / R / accuracy",
                ],
                [
                    [
                        name,
                        f"{j.items} ({j.errors})",
                        _with_interval(j.auroc),
                        f"{rate(j.precision.value)} / {rate(j.recall.value)} / {rate(j.accuracy.value)}",
                        f"{rate(j.combined_precision.value)} / {rate(j.combined_recall.value)} / "
                        f"{rate(j.combined_accuracy.value)}",
                    ]
                    for name, j in judged
                ],
            )
        )
    scored = [r for r in results if r.score is not None]
    if scored:
        section.blocks.append(
            Figure(
                "detect_roc",
                plots.roc_curves(scored),
                "ROC of the gate's score and of two length baselines.",
            )
        )
    return section


def _retrieval_section(summary: Summary, results: list[RetrievalItemResult]) -> Section:
    r = summary.overall.retrieval
    assert r is not None
    section = Section("Knowledge retrieval alone (retrieval suites)")
    section.blocks.append(
        Figure(
            "retrieval_bars",
            plots.metric_bars(
                [
                    ("recall@1", r.recall_at_1),
                    ("recall@5", r.recall_at_5),
                    ("MRR", r.mrr),
                    ("abstention accuracy", r.abstention_accuracy),
                ],
                "Retrieval",
            ),
            "Retrieval metrics with 95% intervals.",
        )
    )
    section.blocks.append(
        Paragraph(
            f"{r.items} queries ({r.answerable} answerable). The retriever abstained on {r.false_abstentions} answerable "
            f"queries. Median search time {ms(r.latency_p50_ms)}."
        )
    )
    misses = [x for x in results if not x.passed][:10]
    if misses:
        section.blocks.append(
            Table(
                ["Item", "Query", "Gold", "Retrieved (best first)", "Why"],
                [
                    [
                        m.id,
                        m.query,
                        ", ".join(m.gold) or "(none: must abstain)",
                        ", ".join(x.split("#")[0] for x in m.ranked[:3]),
                        "; ".join(m.failures),
                    ]
                    for m in misses
                ],
                caption="Retrieval misses (first 10).",
            )
        )
    return section


def _per_suite(summary: Summary, results: Sequence[AnyResult]) -> Section:
    rows = []
    for suite in summary.provenance.suites:
        mine = [r for r in results if r.suite == suite.name]
        categories: dict[str, list[AnyResult]] = {}
        for r in mine:
            categories.setdefault(r.category, []).append(r)
        for category, members in sorted(categories.items()):
            passed = sum(m.passed for m in members)
            rows.append([suite.name, category, f"{passed} / {len(members)}", rate(passed / len(members))])
    return Section(
        "Results by suite and category", [Table(["Suite", "Category", "Passed", "Pass rate"], rows)]
    )


def _worst(results: list[ChatItemResult]) -> Section:
    section = Section("Items that failed, worst first")
    worst = worst_chat_items(results, WORST_ITEMS)
    if not worst:
        section.blocks.append(Callout("ok", "Every chat item passed."))
        return section
    failing = sum(not r.passed for r in results)
    section.blocks.append(
        Paragraph(
            f"{failing} chat item(s) failed; the {len(worst)} most serious are shown (safety failures first: "
            "under-triage, cross-patient reads, forbidden facts, uncited sentences), each with the assistant's trace."
        )
    )
    for item in worst:
        last = item.turns[-1] if item.turns else None
        lines = [
            f"suite: {item.suite}   category: {item.category}   patient: {item.patient.id if item.patient else '-'}"
        ]
        lines += [f"failure: {f}" for f in item.failures]
        for n, turn in enumerate(item.turns, start=1):
            lines.append(f"--- turn {n}: patient: {turn.message}")
            lines.append(f"assistant: {turn.answer or '(no answer)'}")
            for c in turn.citations:
                lines.append(f"  [{c.n}] {c.kind} {c.id} — {c.title}")
            if turn.escalation:
                lines.append(
                    f"escalation: {turn.escalation.kind}/{turn.escalation.level} ({turn.escalation.status})"
                )
            lines.append(
                "tools: "
                + (", ".join(f"{t.name}{'' if t.ok else ' (failed)'}" for t in turn.tools) or "none")
            )
            lines += [f"trace: {line}" for line in turn.trace]
            if turn.error:
                lines.append(f"error: {turn.error}")
        question = last.message if last else "(did not run)"
        why = "; ".join(item.failures)
        summary_line = f"{item.id} — {question[:90]} — {why[:150]}{'…' if len(why) > 150 else ''}"
        section.blocks.append(Details(summary_line, "\n".join(lines)))
    return section


def _definitions(summary: Summary) -> Section:
    rows = [[name, MEANING[name]] for name in MEANING if name in summary.headline]
    return Section(
        "How to read the numbers",
        [
            Paragraph(
                "Rates are micro-averages: totals over the items that had the expectation (a fact-recall of 0.9 over 40 "
                "items means 90% of all required facts across those items were stated). Intervals are 95%: the wider of "
                "a bootstrap over items and the Wilson score interval, so a rate of 1.00 over five items still shows "
                'how little five items prove. "—" means not measured in this run.'
            ),
            Table(["Metric", "Meaning"], rows),
            Paragraph(f"Escalation levels, least to most urgent: none, {', '.join(LEVELS)}."),
        ],
    )
