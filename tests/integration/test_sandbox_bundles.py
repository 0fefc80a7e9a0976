"""Transaction and batch Bundles posted to the base URL, over real HTTP."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fixtures.sandbox import fhir_client

pytestmark = pytest.mark.integration


@pytest.fixture
def client(sandbox_url: str) -> Iterator[httpx.Client]:
    with fhir_client(sandbox_url) as c:
        yield c


def _uid() -> str:
    return uuid.uuid4().hex[:12]


def _bundle(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def _put(resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "resource": resource,
        "request": {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"},
    }


def _post(
    resource: dict[str, Any], full_url: str | None = None, if_none_exist: str | None = None
) -> dict[str, Any]:
    request = {"method": "POST", "url": resource["resourceType"]}
    if if_none_exist:
        request["ifNoneExist"] = if_none_exist
    return {"resource": resource, "request": request, **({"fullUrl": full_url} if full_url else {})}


def _obs(subject: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "weight"},
        "subject": {"reference": subject},
        **extra,
    }


def _totals(client: httpx.Client) -> list[int]:
    return [client.get(t, params={"_count": "0"}).json()["total"] for t in ("Patient", "Observation")]


def test_transaction_rewrites_urn_references_to_assigned_ids(client: httpx.Client) -> None:
    pid = f"tx-{_uid()}"
    response = client.post(
        "",
        json=_bundle(
            "transaction",
            _post(_obs("urn:uuid:11111111-1111-4111-8111-111111111111")),
            _post(
                {"resourceType": "Patient", "gender": "female"},
                full_url="urn:uuid:11111111-1111-4111-8111-111111111111",
            ),
            _put({"resourceType": "Patient", "id": pid}),
            _put(_obs(f"Patient/{pid}", id=f"{pid}-obs")),
        ),
    )
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in bundle["entry"]]
    assert statuses == ["201 Created"] * 4
    new_patient = bundle["entry"][1]["response"]["location"].split("/_history")[0]
    obs_location = bundle["entry"][0]["response"]["location"]
    assert obs_location.startswith("Observation/") and bundle["entry"][0]["response"]["etag"] == 'W/"1"'
    stored = client.get(obs_location.split("/_history")[0]).json()
    assert stored["subject"]["reference"] == new_patient
    assert client.get(f"Observation?patient={new_patient}").json()["total"] == 1
    assert client.get(f"Observation/{pid}-obs").json()["subject"]["reference"] == f"Patient/{pid}"


def test_transaction_is_all_or_nothing(client: httpx.Client) -> None:
    pid = f"tx-{_uid()}"
    before = _totals(client)
    response = client.post(
        "",
        json=_bundle(
            "transaction",
            _put({"resourceType": "Patient", "id": pid}),
            _post(_obs(f"Patient/{pid}")),
            _post({"resourceType": "Observation", "code": {"text": "no status"}}),
        ),
    )
    assert response.status_code == 422
    assert response.json()["issue"][0]["diagnostics"].startswith("Bundle.entry[2]: Observation.status")
    assert _totals(client) == before
    assert client.get(f"Patient/{pid}").status_code == 404


def test_transaction_rolls_back_writes_when_a_late_conditional_create_is_ambiguous(
    client: httpx.Client,
) -> None:
    system = f"urn:test:{_uid()}"
    twin = {"resourceType": "Patient", "identifier": [{"system": system, "value": "twin"}]}
    assert client.post("Patient", json=twin).status_code == 201
    assert client.post("Patient", json=twin).status_code == 201
    pid = f"tx-{_uid()}"
    before = _totals(client)
    response = client.post(
        "",
        json=_bundle(
            "transaction",
            _put({"resourceType": "Patient", "id": pid}),
            _post(twin, if_none_exist=f"identifier={system}|twin"),
        ),
    )
    assert response.status_code == 412 and "Bundle.entry[1]" in response.json()["issue"][0]["diagnostics"]
    assert _totals(client) == before and client.get(f"Patient/{pid}").status_code == 404


def test_transaction_conditional_create_finds_the_existing_resource(client: httpx.Client) -> None:
    system = f"urn:test:{_uid()}"
    patient = {"resourceType": "Patient", "identifier": [{"system": system, "value": "1"}]}
    existing = client.post("Patient", json=patient).json()["id"]
    response = client.post(
        "",
        headers={"Prefer": "return=representation"},
        json=_bundle(
            "transaction",
            _post(
                patient,
                full_url="urn:uuid:22222222-2222-4222-8222-222222222222",
                if_none_exist=f"identifier={system}|1",
            ),
            _post(_obs("urn:uuid:22222222-2222-4222-8222-222222222222")),
        ),
    )
    assert response.status_code == 200
    first, second = response.json()["entry"]
    assert first["response"]["status"] == "200 OK" and first["resource"]["id"] == existing
    assert second["resource"]["subject"]["reference"] == f"Patient/{existing}"
    assert client.get(f"Patient?identifier={system}|1").json()["total"] == 1


def test_transaction_if_match_refuses_a_stale_version_and_writes_nothing(client: httpx.Client) -> None:
    pid = f"tx-{_uid()}"
    assert client.put(f"Patient/{pid}", json={"resourceType": "Patient", "id": pid}).status_code == 201
    stale = {**_put({"resourceType": "Patient", "id": pid, "gender": "male"})}
    stale["request"] = {**stale["request"], "ifMatch": 'W/"1"'}
    first = client.post("", json=_bundle("transaction", stale, _post(_obs(f"Patient/{pid}"))))
    assert first.status_code == 200 and first.json()["entry"][0]["response"]["etag"] == 'W/"2"'
    before = _totals(client)
    again = client.post("", json=_bundle("transaction", stale, _post(_obs(f"Patient/{pid}"))))
    assert again.status_code == 412
    assert "version 2, not version 1" in again.json()["issue"][0]["diagnostics"]
    assert _totals(client) == before and client.get(f"Patient/{pid}").json()["meta"]["versionId"] == "2"
    put = client.put(
        f"Patient/{pid}", headers={"If-Match": 'W/"2"'}, json={"resourceType": "Patient", "id": pid}
    )
    assert put.status_code == 200 and put.json()["meta"]["versionId"] == "3"
    assert client.put(f"Patient/{pid}", headers={"If-Match": 'W/"2"'}, json=put.json()).status_code == 412
    assert client.put(f"Patient/{pid}", headers={"If-Match": "x"}, json=put.json()).status_code == 400


def test_batch_applies_each_entry_on_its_own(client: httpx.Client) -> None:
    pid = f"batch-{_uid()}"
    response = client.post(
        "",
        json=_bundle(
            "batch",
            _put({"resourceType": "Patient", "id": pid}),
            _put({"resourceType": "Patient", "id": f"{pid}-bad", "gender": "nope"}),
            {"request": {"method": "DELETE", "url": f"Patient/{pid}"}},
        ),
    )
    assert response.status_code == 200
    entries = response.json()["entry"]
    assert response.json()["type"] == "batch-response"
    assert [e["response"]["status"] for e in entries] == [
        "201 Created",
        "422 Unprocessable Entity",
        "400 Bad Request",
    ]
    assert "Patient.gender" in entries[1]["response"]["outcome"]["issue"][0]["diagnostics"]
    assert client.get(f"Patient/{pid}").status_code == 200
    assert client.get(f"Patient/{pid}-bad").status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (_bundle("collection"), 400, "'collection'"),
        ({"resourceType": "Patient"}, 400, "not a Patient"),
        ({"resourceType": "Bundle", "type": "transaction", "entry": {}}, 400, "must be an array"),
        (_bundle("transaction", {"request": {"method": "GET", "url": "Patient"}, "resource": {"resourceType": "Patient"}}),
         400, "'GET Patient' is not supported"),
        (_bundle("transaction", {"request": {"method": "POST", "url": "Patient"}}), 400, "needs a resource"),
        (_bundle("transaction", _put({"resourceType": "Patient", "id": "dup-1"}), _put({"resourceType": "Patient", "id": "dup-1"})),
         400, "Patient/dup-1 more than once"),
        (_bundle("transaction", _put({"resourceType": "Medication", "id": "m"})), 404, "Bundle.entry[0]: Resource type 'Medication'"),
    ],
)  # fmt: skip
def test_bad_bundles_are_refused_and_change_nothing(
    client: httpx.Client, body: dict[str, Any], status: int, fragment: str
) -> None:
    before = _totals(client)
    response = client.post("", json=body)
    assert response.status_code == status
    assert fragment in response.json()["issue"][0]["diagnostics"]
    assert _totals(client) == before


def test_a_seed_sized_transaction_is_fast(client: httpx.Client) -> None:
    run = _uid()
    entries = []
    for n in range(50):
        entries.append(
            _put({"resourceType": "Patient", "id": f"{run}-p{n}", "name": [{"family": f"Seed{run}"}]})
        )
        entries += [
            _put(_obs(f"Patient/{run}-p{n}", id=f"{run}-o{n}-{k}", effectiveDateTime="2024-01-01"))
            for k in range(9)
        ]
    started = time.perf_counter()
    response = client.post("", json=_bundle("transaction", *entries))
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and len(response.json()["entry"]) == 500
    assert client.get(f"Patient?family=seed{run}&_count=0").json()["total"] == 50
    assert elapsed < 10, f"500-entry transaction took {elapsed:.1f}s"
