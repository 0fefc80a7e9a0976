"""`carecoord sandbox load PATH`: bring your own FHIR R4 patients into a running sandbox over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from carecoord.cli import app
from tests.fixtures.sandbox import SandboxProcess, start_sandbox
from tools.errors import FhirNotFound
from tools.fhir import FhirGateway

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    process = start_sandbox(tmp_path_factory.mktemp("load-sandbox"))
    yield process
    process.stop()


def _load(sandbox: SandboxProcess, path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["sandbox", "load", str(path), "--fhir-url", sandbox.url])
    return result.exit_code, result.output


def _patient(pid: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "name": [{"family": "Loadtest", "given": [pid]}],
        "gender": "female",
    }


def _glucose(oid: str, subject: str, value: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": "http://clinic.example/lab", "code": "GLU"}], "text": "Glucose"},
        "subject": {"reference": subject},
        "effectiveDateTime": "2026-11-30T08:00:00Z",
        "valueQuantity": {"value": value, "unit": "mg/dL"},
    }


def test_a_synthea_style_transaction_bundle_loads_with_its_references_resolved(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    uuid = "0f3c9a52-5d2b-4f7e-9c1a-6b8e2d4a7c10"
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"urn:uuid:{uuid}",
                "resource": _patient(uuid),
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": "urn:uuid:obs-glu-1",
                "resource": _glucose("obs-glu-1", f"urn:uuid:{uuid}", 142),
                "request": {"method": "POST", "url": "Observation"},
            },
        ],
    }
    path = tmp_path / "synthea.json"
    path.write_text(json.dumps(bundle))

    code, output = _load(sandbox, path)

    assert code == 0, output
    assert "Loaded 2 of 2 resources from 1 file(s)" in output
    gateway = FhirGateway(sandbox.url)
    stored = gateway.read("Observation", "obs-glu-1")
    assert stored["subject"]["reference"] == f"Patient/{uuid}"
    assert stored["valueQuantity"]["value"] == 142
    found = gateway.search("Observation", [("subject", f"Patient/{uuid}")])
    assert [o["id"] for o in found] == ["obs-glu-1"]


def test_a_folder_of_json_and_ndjson_loads_and_a_second_load_replaces(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "patient.json").write_text(json.dumps(_patient("pat-folder")))
    lines = [json.dumps(_glucose(f"glu-folder-{n}", "Patient/pat-folder", 100 + n)) for n in range(3)]
    (folder / "Observation.ndjson").write_text("\n".join(lines) + "\n\n")

    code, output = _load(sandbox, folder)
    assert code == 0, output
    assert "Loaded 4 of 4 resources from 2 file(s)" in output

    (folder / "Observation.ndjson").write_text(json.dumps(_glucose("glu-folder-0", "Patient/pat-folder", 99)))
    code, output = _load(sandbox, folder)
    assert code == 0, output
    assert FhirGateway(sandbox.url).read("Observation", "glu-folder-0")["valueQuantity"]["value"] == 99


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        (
            "bad.ndjson",
            '{"resourceType": "Patient", "id": "half-1"}\n{"resourceType": "Patient", "id": ',
            "line 2: not JSON",
        ),
        (
            "noid.ndjson",
            '{"resourceType": "Patient", "id": "half-1"}\n{"resourceType": "Patient"}',
            "line 2: Patient has no id",
        ),
        ("array.json", "[1, 2]", "expected a FHIR resource"),
        ("badid.json", '{"resourceType": "Patient", "id": "has space"}', "is not a FHIR id"),
    ],
)
def test_an_unreadable_file_loads_nothing_and_names_the_place(
    sandbox: SandboxProcess, tmp_path: Path, name: str, text: str, said: str
) -> None:
    path = tmp_path / name
    path.write_text(text)

    code, output = _load(sandbox, path)

    assert code == 1
    assert "Nothing loaded" in output and name in output and said in output
    with pytest.raises(FhirNotFound):  # the good line before the bad one was not written either
        FhirGateway(sandbox.url).read("Patient", "half-1")


def test_refusals_carry_the_servers_message_and_the_rest_still_load(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    order = {
        "resourceType": "MedicationRequest",
        "id": "refused-order",
        "status": "not-a-status",
        "intent": "order",
        "subject": {"reference": "Patient/pat-refusal"},
        "medicationCodeableConcept": {"text": "metformin 500 mg"},
    }
    path = tmp_path / "mixed.ndjson"
    path.write_text("\n".join(json.dumps(r) for r in (_patient("pat-refusal"), order)))

    code, output = _load(sandbox, path)

    assert code == 1
    assert "Loaded 1 of 2 resources" in output
    assert "Refused MedicationRequest/refused-order" in output and "not-a-status" in output
    assert FhirGateway(sandbox.url).read("Patient", "pat-refusal")["id"] == "pat-refusal"


def test_a_missing_path_or_an_empty_folder_says_so(sandbox: SandboxProcess, tmp_path: Path) -> None:
    code, output = _load(sandbox, tmp_path / "nowhere")
    assert code == 1 and "no such file or folder" in output
    (tmp_path / "empty").mkdir()
    code, output = _load(sandbox, tmp_path / "empty")
    assert code == 1 and "no .json or .ndjson files" in output


def test_an_unreachable_server_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(_patient("nobody")))
    result = CliRunner().invoke(app, ["sandbox", "load", str(path), "--fhir-url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "No FHIR server answered at http://127.0.0.1:9" in result.output
