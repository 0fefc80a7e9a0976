"""Metrics page: queue size, time to decision, escalation mix over time, verifier removals."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from ui.console.labels import kind_label
from ui.console.login import require_user
from ui.console.metrics import (
    categorical,
    decisions_by_status,
    escalations_over_time,
    median_minutes_to_decision,
    period_for,
    queue_size,
    removals_over_time,
)
from ui.console.metrics_source import item_facts
from ui.console.services import review_service
from ui.console.timefmt import span

LEVEL_HEX = {"emergent": "#d93025", "urgent": "#f29900", "routine": "#1e8e3e"}

require_user()
st.title("Metrics")
facts = item_facts(review_service())
if not facts:
    st.info("No escalations filed yet.")
    st.stop()

median = median_minutes_to_decision(facts)
tiles = st.columns(4)
tiles[0].metric("Queue size", queue_size(facts), help="Items pending a decision or an acknowledgement")
tiles[1].metric("Median time to decision", span(timedelta(minutes=median)) if median is not None else "—")
tiles[2].metric("Items filed", len(facts))
tiles[3].metric("Verifier removals", sum(f.removed for f in facts), help="Unsupported sentences removed")

freq = period_for(facts)
unit = "hour (UTC)" if freq == "h" else "day"
by_kind = categorical(escalations_over_time(facts, by="kind", freq=freq), freq).rename(columns=kind_label)
by_level = categorical(escalations_over_time(facts, by="level", freq=freq), freq)
removals = categorical(removals_over_time(facts, freq=freq), freq)
left, right = st.columns(2)
with left:
    st.subheader("Escalations by kind")
    st.bar_chart(by_kind, x_label=unit, y_label="items")
    st.subheader("Verifier removals")
    if int(removals["removed sentences"].sum()):
        st.bar_chart(removals, x_label=unit, y_label="sentences removed", color="#a50e0e")
    else:
        st.caption("The verifier removed no sentences from the answers behind these items.")
with right:
    st.subheader("Escalations by level")
    st.bar_chart(by_level, x_label=unit, y_label="items", color=[LEVEL_HEX[c] for c in by_level.columns])
    st.subheader("Outcomes")
    st.bar_chart(decisions_by_status(facts), x_label="status", y_label="items", horizontal=True)
