"""What a queue row shows beyond the item: patient name and age, their words, the plain reason. Cached.

The words and reason of an item never change once filed, so they are cached per item id for the
process; names and ages for ten minutes. A record or thread that cannot be read right now degrades to
the patient id and the item's summary, and is not cached.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import streamlit as st

from carecoord.review.views import ItemDetail, QueueItem
from tools.errors import FhirError, PatientIsolationError
from tools.fhir import FhirGateway
from tools.record import PatientRecord
from ui.console.board.load import age_on
from ui.console.queue_table import RowFacts
from ui.console.reasons import plain_reason, prior_prescription
from ui.console.services import review_service, services
from ui.console.words import triggering_words


def row_facts(item: QueueItem) -> RowFacts:
    """The row's patient label, the patient's words and the plain reason."""
    words, reason = words_and_reason(item.id)
    return RowFacts(patient=patient_label(item.patient), words=words, reason=reason)


def patient_label(patient_id: str) -> str:
    """`Maria Garcia, 67`; the id when the record cannot be read right now."""
    try:
        gateway = services().gateway
        return _patient_label(patient_id, gateway.base_url, gateway)
    except (FhirError, PatientIsolationError):
        return patient_id


@st.cache_data(ttl=600, show_spinner=False, max_entries=5000)
def _patient_label(patient_id: str, server: str, _gateway: FhirGateway) -> str:
    summary = PatientRecord(_gateway, patient_id).summary()
    age = age_on(summary.birth_date, datetime.now(UTC).date())
    return f"{summary.name}, {age}" if age is not None else summary.name


class _Incomplete(Exception):
    """Words and reason read while the thread or the record could not answer: shown, not cached."""

    def __init__(self, words: str, reason: str) -> None:
        super().__init__(reason)
        self.words, self.reason = words, reason


def words_and_reason(item_id: str) -> tuple[str, str]:
    """The item's triggering words and its plain reason."""
    try:
        return _words_and_reason(item_id)
    except _Incomplete as partial:
        return partial.words, partial.reason


def describe_item(detail: ItemDetail) -> tuple[str, str]:
    """Words and reason for an item already read in full (raises `_Incomplete` when a read failed)."""
    words = triggering_words(detail.lines, detail.question_hash) or ""
    prior = prior_prescription(detail.draft)
    last_filled: date | None = None
    failed = not words
    if prior is not None:
        try:
            last_filled = PatientRecord(services().gateway, detail.patient).medication(prior).authored_on
        except (FhirError, PatientIsolationError):
            failed = True
    reason = plain_reason(detail.summary, detail.draft, last_filled)
    if failed:
        raise _Incomplete(words, reason)
    return words, reason


@st.cache_data(show_spinner=False, max_entries=5000)
def _words_and_reason(item_id: str) -> tuple[str, str]:
    return describe_item(review_service().queue.detail(item_id))
