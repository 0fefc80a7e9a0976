"""The patient board drawn in Streamlit: trend charts by group, medications, problems, allergies, visits.

Every value links to the FHIR resource it was read from (chart points through their `href`).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from tools import views
from tools.errors import FhirError, PatientIsolationError
from ui.console.board.charts import trend
from ui.console.board.model import Chart, PatientBoard
from ui.console.board.source import DEFAULT_WINDOW, WINDOWS, fhir_base, patient_board

CHARTS_PER_ROW = 2


def show_board(patient_id: str, key: str = "board") -> None:
    """The board for `patient_id`, with a history window picker; a warning when FHIR cannot answer."""
    window = (
        st.segmented_control("History shown", list(WINDOWS), default=DEFAULT_WINDOW, key=f"{key}_window")
        or DEFAULT_WINDOW
    )
    try:
        board = patient_board(patient_id, window)
    except (FhirError, PatientIsolationError) as exc:
        st.warning(f"Patient record unavailable: {exc}")
        return
    base = fhir_base()
    specs = chart_specs(patient_id, window, base, board)
    _header(board, base)
    for group in board.groups:
        if not group.charts:
            continue
        st.markdown(f"##### {group.title}")
        for start in range(0, len(group.charts), CHARTS_PER_ROW):
            columns = st.columns(CHARTS_PER_ROW)
            for column, chart in zip(columns, group.charts[start : start + CHARTS_PER_ROW], strict=False):
                with column, st.container(key=f"{key}_chart_{chart.concept_id}"):
                    st.markdown(f"**{chart.title}**")
                    st.vega_lite_chart(specs[chart.concept_id], width="stretch")
                    st.markdown(_latest_line(chart, base))
        if group.missing:
            st.caption(f"No {', '.join(group.missing)} in this window.")
    if board.truncated:
        st.caption(f"Showing the newest {board.readings} results; pick a shorter window for older detail.")
    left, right = st.columns(2, gap="large")
    with left:
        _medications(board, base)
        _allergies(board.allergies, base)
    with right:
        _conditions(board.conditions, base)
        _appointments(board.appointments, base)


@st.cache_data(ttl=60, show_spinner=False, max_entries=200)
def chart_specs(patient_id: str, window: str, base: str, _board: PatientBoard) -> dict[str, dict[str, Any]]:
    """Each chart's Vega-Lite spec, built once per patient and window (every session reuses it)."""
    return {
        chart.concept_id: trend(chart, base).to_dict() for group in _board.groups for chart in group.charts
    }


def _link(text: str, base: str, reference: str) -> str:
    return f"[{text}]({base.rstrip('/')}/{reference})"


def _header(board: PatientBoard, base: str) -> None:
    summary = board.summary
    age = f"{board.age} y" if board.age is not None else "age unknown"
    born = f"born {summary.birth_date:%Y-%m-%d}" if summary.birth_date else "birth date unknown"
    st.markdown(
        f"**{_link(summary.name, base, summary.reference)}** · {age} · {born} · {summary.sex or 'sex unknown'}"
    )


def _latest_line(chart: Chart, base: str) -> str:
    """`Latest: **7.4 %** (2026-10-01) · range ≤ 5.6` per series, out-of-range values in red."""
    parts = []
    for series in chart.series:
        latest = series.latest
        if latest is None:
            continue
        value = f"{latest.value:g} {series.unit}"
        shown = f":red[**{value}**]" if series.latest_out_of_range else f"**{value}**"
        label = f"{series.label}: " if len(chart.series) > 1 else "Latest "
        parts.append(f"{label}{shown} ({_link(f'{latest.when:%Y-%m-%d}', base, latest.reference)})")
    return " · ".join(parts)


def _medications(board: PatientBoard, base: str) -> None:
    st.markdown("**Active medications**")
    if not board.medications:
        st.caption("No active medications.")
        return
    lines = []
    for med in board.medications:
        line = f"- {_link(med.name, base, med.reference)}" + (f" — {med.dosage}" if med.dosage else "")
        flag = board.duplicates.get(med.reference)
        if flag is not None:
            line += f" :orange-badge[duplicate therapy] {flag.reason}"
        lines.append(line)
    st.markdown("\n".join(lines))


def _allergies(allergies: tuple[views.Allergy, ...], base: str) -> None:
    st.markdown("**Allergies**")
    if not allergies:
        st.caption("No known allergies recorded.")
        return
    st.markdown(
        "\n".join(
            f"- {_link(a.substance, base, a.reference)}"
            + (f" — {', '.join(a.reactions)}" if a.reactions else "")
            + (" :red-badge[high criticality]" if a.criticality == "high" else "")
            for a in allergies
        )
    )


def _conditions(conditions: tuple[views.Condition, ...], base: str) -> None:
    st.markdown("**Conditions**")
    if not conditions:
        st.caption("No active conditions.")
        return
    st.markdown(
        "\n".join(
            f"- {_link(c.name, base, c.reference)}" + (f" (since {c.onset:%Y})" if c.onset else "")
            for c in conditions
        )
    )


def _appointments(appointments: tuple[views.Appointment, ...], base: str) -> None:
    st.markdown("**Upcoming appointments**")
    if not appointments:
        st.caption("None booked.")
        return
    st.markdown(
        "\n".join(
            f"- {_link(f'{a.start:%a %Y-%m-%d %H:%M}' if a.start else 'time to be set', base, a.reference)}"
            + f" — {a.specialty or a.description or 'visit'}"
            + (f" with {a.practitioner}" if a.practitioner else "")
            for a in appointments
        )
    )
