from __future__ import annotations

from agent.grounding.claims import missing_atoms
from agent.grounding.render import render_resource_text
from agent.grounding.verifier import Verifier

MEDICATION_REQUEST: dict[str, object] = {
    "resourceType": "MedicationRequest",
    "id": "mr-861007",
    "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-medicationrequest"]},
    "text": {
        "status": "generated",
        "div": '<div xmlns="http://www.w3.org/1999/xhtml">Prescription: metformin &amp; diet</div>',
    },
    "status": "active",
    "intent": "order",
    "medicationCodeableConcept": {
        "coding": [
            {
                "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                "code": "861007",
                "display": "metformin hydrochloride 500 MG Oral Tablet",
            }
        ],
        "text": "metformin hydrochloride 500 MG Oral Tablet",
    },
    "subject": {"reference": "Patient/p-1", "display": "Maria Lopez"},
    "requester": {"reference": "Practitioner/pr-9"},
    "authoredOn": "2026-11-03",
    "identifier": [{"system": "urn:oid:1.2.3", "value": "RX-4417"}],
    "dosageInstruction": [
        {
            "text": "Take 1 tablet by mouth with breakfast and dinner",
            "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
            "asNeededBoolean": False,
            "route": {
                "coding": [{"system": "http://snomed.info/sct", "code": "26643006", "display": "Oral route"}]
            },
            "doseAndRate": [
                {"doseQuantity": {"value": 500, "unit": "mg", "system": "http://unitsofmeasure.org"}}
            ],
        }
    ],
    "dispenseRequest": {"quantity": {"value": 60.0, "unit": "tablet"}, "numberOfRepeatsAllowed": 3},
}


def test_medication_request_renders_what_a_reader_sees() -> None:
    text = render_resource_text(MEDICATION_REQUEST)
    lines = text.splitlines()
    assert lines[0] == "Medication Request"
    for expected in [
        "Prescription: metformin & diet",
        "active",
        "metformin hydrochloride 500 MG Oral Tablet",
        "Maria Lopez",
        "2026-11-03",
        "Take 1 tablet by mouth with breakfast and dinner",
        "twice daily",
        "Oral route",
        "500 mg",
        "60 tablet",
    ]:
        assert expected in lines
    assert lines.count("metformin hydrochloride 500 MG Oral Tablet") == 1  # coding display == text


def test_codes_ids_references_and_identifiers_are_left_out() -> None:
    text = render_resource_text(MEDICATION_REQUEST)
    for absent in [
        "861007",
        "26643006",
        "mr-861007",
        "Patient/p-1",
        "Practitioner",
        "RX-4417",
        "http",
        "urn:",
    ]:
        assert absent not in text


def test_a_sentence_about_the_prescription_is_checked_against_the_rendering() -> None:
    text = render_resource_text(MEDICATION_REQUEST)
    assert missing_atoms("You take Glucophage 500 mg twice daily since Nov 3, 2026.", [text]) == ()
    verdict = Verifier().check("You take Glucophage 500 mg twice daily.", [text])
    assert verdict.supported, verdict.reason
    wrong = Verifier().check("You take Glucophage 1000 mg twice daily.", [text])
    assert not wrong.supported
    assert wrong.missing == ("1000 mg",)


def test_observation_with_components_and_reference_range() -> None:
    observation: dict[str, object] = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4", "display": "Hemoglobin A1c"}]},
        "effectiveDateTime": "2026-10-01T09:15:00-05:00",
        "valueQuantity": {"value": 7.2, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"},
        "referenceRange": [{"low": {"value": 4.0, "unit": "%"}, "high": {"value": 5.6, "unit": "%"}}],
        "component": [
            {"code": {"text": "Systolic blood pressure"}, "valueQuantity": {"value": 131, "code": "mm[Hg]"}}
        ],
    }
    lines = render_resource_text(observation).splitlines()
    assert lines == [
        "Observation",
        "final",
        "Hemoglobin A1c",
        "A1c (3-month average blood sugar)",  # the concept table's friendly name for LOINC 4548-4
        "2026-10-01T09:15:00-05:00",
        "7.2 %",
        "4 % to 5.6 %",
        "Systolic blood pressure",
        "131 mm[Hg]",
        "A1c (3-month average blood sugar) result",  # what the code resolves to, however it is coded
        "Hemoglobin A1c/Hemoglobin.total in Blood",
    ]
    assert Verifier().check("Your HbA1c was 7.2% on October 1, 2026.", ["\n".join(lines)]).supported
    assert "4548" not in "\n".join(lines)


def test_patient_name_and_every_n_hours_timing() -> None:
    patient = {
        "resourceType": "Patient",
        "name": [{"use": "official", "given": ["Maria", "Elena"], "family": "Lopez"}],
        "birthDate": "1961-04-12",
    }
    assert render_resource_text(patient).splitlines() == ["Patient", "Maria Elena Lopez", "1961-04-12"]
    as_needed = {
        "resourceType": "MedicationRequest",
        "dosageInstruction": [
            {"timing": {"repeat": {"frequency": 1, "period": 6, "periodUnit": "h"}}, "asNeededBoolean": True}
        ],
    }
    assert render_resource_text(as_needed).splitlines() == [
        "Medication Request",
        "every 6 hours",
        "as needed",
    ]


A1C_RESULT: dict[str, object] = {
    "resourceType": "Observation",
    "status": "final",
    "code": {
        "coding": [
            {
                "system": "http://loinc.org",
                "code": "4548-4",
                "display": "Hemoglobin A1c/Hemoglobin.total in Blood",
            }
        ]
    },
    "effectiveDateTime": "2026-10-01T08:00:00Z",
    "valueQuantity": {"value": 7.2, "unit": "%"},
}


def test_a_result_named_as_patients_say_it_is_supported_by_its_record() -> None:
    """The concept table's friendly name is the record's too; a made-up gloss is not."""
    evidence = render_resource_text(A1C_RESULT)
    assert "A1c (3-month average blood sugar)" in evidence.splitlines()
    verifier = Verifier()
    said = "Your A1c (3-month average blood sugar) result was 7.2 % on October 1, 2026."
    assert verifier.check(said, (evidence,)).supported
    invented = "Your A1c (6-month average blood sugar) result was 7.2 % on October 1, 2026."
    assert not verifier.check(invented, (evidence,)).supported
