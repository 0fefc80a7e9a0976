"""The patient panel: medications, allergies, conditions and latest labs, read live from FHIR."""

from __future__ import annotations

import streamlit as st

from tools.clock import Clock
from tools.concepts.units import shown_unit
from tools.errors import FhirError, PatientIsolationError
from tools.views import Medication, Observation
from ui.console.panel import PatientPanel
from ui.console.services import clinic_clock, patient_panel


def show_patient(patient_id: str) -> None:
    """Draw the panel, or a warning when the FHIR server cannot answer."""
    try:
        panel = patient_panel(patient_id)
    except (FhirError, PatientIsolationError) as exc:
        st.warning(f"Patient record unavailable: {exc}")
        return
    _draw(panel)


def _draw(panel: PatientPanel) -> None:
    summary = panel.summary
    born = f"born {summary.birth_date:%Y-%m-%d}" if summary.birth_date else "birth date unknown"
    st.subheader(summary.name)
    st.caption(f"{born} · {summary.sex or 'sex unknown'} · `{summary.reference}`")

    st.markdown("**Allergies**")
    if panel.allergies:
        for allergy in panel.allergies:
            reactions = f" — {', '.join(allergy.reactions)}" if allergy.reactions else ""
            flag = " :red-badge[high criticality]" if allergy.criticality == "high" else ""
            st.markdown(f"- {allergy.substance}{reactions}{flag}")
    else:
        st.caption("No known allergies recorded.")

    st.markdown("**Active medications**")
    if panel.medications:
        clock = clinic_clock()
        st.markdown("\n".join(_medication_line(m, clock) for m in panel.medications))
    else:
        st.caption("No active medications.")

    st.markdown("**Conditions**")
    if panel.conditions:
        st.markdown(
            "\n".join(f"- {c.name}" + (f" (since {c.onset:%Y})" if c.onset else "") for c in panel.conditions)
        )
    else:
        st.caption("No active conditions.")

    st.markdown("**Latest labs**")
    if panel.labs:
        st.markdown("\n".join(_lab_line(o) for o in panel.labs))
    else:
        st.caption("No lab results on file.")


def _medication_line(medication: Medication, clock: Clock) -> str:
    """`- **metformin 500 mg** — twice daily · 2 refills · valid to 2027-01-01` (expired in red)."""
    parts = [f"**{medication.name}**"]
    if medication.dosage:
        parts.append(f"— {medication.dosage}")
    extras = []
    if medication.refills_allowed is not None:
        extras.append(
            f"{medication.refills_allowed} refill{'' if medication.refills_allowed == 1 else 's'} left"
        )
    if medication.validity_end:
        valid = f"valid to {medication.validity_end:%Y-%m-%d}"
        extras.append(f":red[{valid} (expired)]" if medication.refill_expired(clock) else valid)
    return "- " + " ".join(parts) + (f" · {' · '.join(extras)}" if extras else "")


def _lab_line(observation: Observation) -> str:
    """`- Hemoglobin A1c: **7.2 %** (2026-10-01)`."""
    when = f" ({observation.effective:%Y-%m-%d})" if observation.effective else ""
    value = f"{observation.value} {shown_unit(observation.unit)}".strip()
    return f"- {observation.name}: **{value}**{when}"
