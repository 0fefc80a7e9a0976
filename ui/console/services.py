"""The console's edge: settings from the environment and the long-lived services built from them.

Streamlit reruns page scripts on every click, so the process's services (database engine, FHIR gateway,
the thread store decisions are delivered through) are opened once per server process and settings, by
the composition root, and shared by every session.
"""

from __future__ import annotations

import atexit
import gc
import secrets
from contextlib import ExitStack
from typing import Any

import streamlit as st

from carecoord.review.service import ReviewService
from carecoord.settings import Settings
from carecoord.wiring import Services, open_services
from tools.clock import Clock
from tools.errors import FhirError, PatientIsolationError
from tools.fhir import FhirGateway
from tools.record import PatientRecord
from ui.console.panel import PatientPanel, load_panel
from ui.console.session_cookie import SessionSigner

_PROCESS_SECRET = secrets.token_bytes(32)
"""Signs sessions when no CARECOORD_CONSOLE_SESSION_SECRET is set: they then end when this process does."""


def console_settings() -> Settings:
    """Settings as `carecoord console` handed them over (`CARECOORD_*` variables and `.env`)."""
    return Settings()


def clinic_clock() -> Clock:
    """The clinic's clock from the settings (CARECOORD_NOW, CARECOORD_TIMEZONE): expiry and due dates use it."""
    settings = console_settings()
    return Clock(settings.timezone, settings.now)


def services() -> Services:
    """The shared services for the current settings."""
    settings = console_settings()
    return _open_services(settings.model_dump_json(), settings)


def session_signer() -> SessionSigner:
    """The signer of console session cookies, from the settings' secret or this process's own."""
    settings = console_settings()
    secret = settings.console_session_secret
    key = secret.get_secret_value().encode() if secret is not None else _PROCESS_SECRET
    return SessionSigner(key, settings.console_session_hours * 3600)


def review_service() -> ReviewService:
    """The shared review service for the current settings."""
    return services().review


@st.cache_resource(show_spinner="Opening the review queue…")
def _open_services(key: str, _settings: Settings) -> Services:
    """Enter `open_services` once per settings `key`; closed when the process exits."""
    stack = ExitStack()
    opened = stack.enter_context(open_services(_settings))
    opened.start_anchoring()
    atexit.register(stack.close)
    gc.freeze()  # the services live as long as the process: keep later collections from walking them
    return opened


def patient_panel(patient_id: str) -> PatientPanel:
    """The patient panel, cached for a minute so reruns of one item do not refetch it."""
    gateway = services().gateway
    return _patient_panel(patient_id, gateway.base_url, gateway)


@st.cache_data(ttl=60, show_spinner="Reading the patient's record…")
def _patient_panel(patient_id: str, server: str, _gateway: FhirGateway) -> PatientPanel:
    """Cached per patient and server (the gateway itself is not hashed)."""
    return load_panel(PatientRecord(_gateway, patient_id))


def written_resource(reference: str | None) -> dict[str, Any] | None:
    """The resource an approval wrote, as the EHR holds it now; None if none or unreadable."""
    if not reference or "/" not in reference:
        return None
    kind, _, resource_id = reference.partition("/")
    try:
        return services().gateway.read(kind, resource_id)
    except FhirError:
        return None


def patient_name(patient_id: str) -> str:
    """The patient's name for lists; their id when the record cannot be read right now."""
    try:
        gateway = services().gateway
        return _patient_name(patient_id, gateway.base_url, gateway)
    except (FhirError, PatientIsolationError):
        return patient_id


@st.cache_data(ttl=600, show_spinner=False)
def _patient_name(patient_id: str, server: str, _gateway: FhirGateway) -> str:
    """Names change rarely; a failed read raises and so is not cached."""
    return PatientRecord(_gateway, patient_id).summary().name
