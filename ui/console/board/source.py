"""The board as the console reads it: through the shared FHIR gateway, cached per patient and window."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import streamlit as st

from tools.fhir import FhirGateway
from tools.record import PatientRecord
from ui.console.board.load import load_board
from ui.console.board.model import PatientBoard
from ui.console.services import services

WINDOWS: dict[str, int | None] = {"1 year": 365, "2 years": 730, "5 years": 1826, "All": None}
"""The history one view shows (days; None: everything, up to the newest `READ_LIMIT` observations)."""
DEFAULT_WINDOW = "2 years"


def since(window: str, today: date | None = None) -> date | None:
    """First day of `window` ending today."""
    days = WINDOWS.get(window, WINDOWS[DEFAULT_WINDOW])
    return None if days is None else (today or datetime.now(UTC).date()) - timedelta(days=days)


def fhir_base() -> str:
    """The FHIR server's base URL, which every value on the board links into."""
    return services().gateway.base_url


def patient_board(patient_id: str, window: str = DEFAULT_WINDOW) -> PatientBoard:
    """The patient's board for `window`, cached a minute per patient and window."""
    gateway = services().gateway
    return _board(patient_id, window, gateway.base_url, gateway)


@st.cache_data(ttl=60, show_spinner="Reading the patient's chart…", max_entries=200)
def _board(patient_id: str, window: str, server: str, _gateway: FhirGateway) -> PatientBoard:
    return load_board(PatientRecord(_gateway, patient_id), since=since(window))


def find_patients(text: str, limit: int = 20) -> list[tuple[str, str, str]]:
    """Patients whose name matches `text` on the FHIR server: (id, name, birth date)."""
    if not text.strip():
        return []
    gateway = services().gateway
    return _find(text.strip(), limit, gateway.base_url, gateway)


@st.cache_data(ttl=60, show_spinner=False)
def _find(text: str, limit: int, server: str, _gateway: FhirGateway) -> list[tuple[str, str, str]]:
    from tools import parse

    found = _gateway.search("Patient", [("name", text)], limit=limit)
    people = [parse.patient(resource) for resource in found]
    return [(p.source.id, p.name, f"{p.birth_date:%Y-%m-%d}" if p.birth_date else "") for p in people]
