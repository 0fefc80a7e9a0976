"""Issue 15: one turn's FHIR calls share a time budget, retries included, against a frozen server."""

from __future__ import annotations

import time

import pytest

from tests.fixtures.frozen import frozen_server
from tools.errors import FhirUnavailable
from tools.fhir import FhirGateway
from tools.fhir_budget import fhir_budget, remaining_s


def test_a_frozen_server_costs_the_budget_not_attempts_times_timeout() -> None:
    with frozen_server() as url:
        gateway = FhirGateway(url, timeout_s=10.0, attempts=3)  # unbounded: 30 s and more
        started = time.monotonic()
        with fhir_budget(1.0), pytest.raises(FhirUnavailable, match="cannot reach the FHIR server"):
            gateway.read("Patient", "p1")
        first = time.monotonic() - started
        with fhir_budget(1.0):
            with pytest.raises(FhirUnavailable):
                gateway.read("Patient", "p1")
            again = time.monotonic()
            with pytest.raises(FhirUnavailable, match="time for the FHIR server .* is spent"):
                gateway.search("MedicationRequest", [("patient", "p1")])
            after_spent = time.monotonic() - again
    assert 0.9 <= first <= 1.5, first
    assert after_spent < 0.05, after_spent


def test_without_a_budget_each_attempt_waits_its_own_timeout() -> None:
    with frozen_server() as url:
        gateway = FhirGateway(url, timeout_s=0.3, attempts=2)
        started = time.monotonic()
        with pytest.raises(FhirUnavailable, match="after 2 attempts"):
            gateway.read("Patient", "p1")
    assert 0.6 <= time.monotonic() - started <= 3.0


def test_a_nested_budget_never_extends_the_outer_one() -> None:
    assert remaining_s() is None
    with fhir_budget(1.0):
        with fhir_budget(60.0):
            left = remaining_s()
            assert left is not None and left <= 1.0
        with fhir_budget(None):
            left = remaining_s()
            assert left is not None and left <= 1.0
    assert remaining_s() is None
