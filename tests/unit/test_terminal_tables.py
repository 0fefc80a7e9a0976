"""Terminal output at 80 columns: ids are never split, the demo's closing lines are one line each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.table import Table

from carecoord.commands.closing import Closing
from carecoord.commands.review_table import matching, queue_table, unique_prefixes
from carecoord.review.views import QueueItem
from tools.sandbox.cohort.roster import RosterEntry
from tools.sandbox.cohort.roster_table import roster_table

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
PATIENTS = ["5f0c2a9e-1b7d-5e43-9a7c-0d2e8f6b1a11", "5f0c2a9e-77aa-5e43-9a7c-0d2e8f6b1a22"]


def render(table: Table, width: int = 80) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(table)
    return console.export_text()


def item(n: int, patient: str, summary: str, overdue: bool = False) -> QueueItem:
    return QueueItem(
        id=f"esc-{n:012x}",
        kind="action_approval",
        level="urgent",
        status="pending",
        patient=patient,
        thread=f"thread-{n}",
        created=NOW,
        due=NOW + timedelta(hours=4),
        summary=summary,
        overdue=overdue,
    )


def test_review_list_fits_80_columns_with_whole_item_ids() -> None:
    items = [
        item(
            0xF8B1A2C3D4E5,
            PATIENTS[0],
            "Refill request: metformin 500 mg twice daily, last filled 2026-10-02",
        ),
        item(0x0123456789AB, PATIENTS[1], "Emergency screen: chest pain with numb left arm", overdue=True),
    ]
    text = render(queue_table(items))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    for listed in items:
        assert sum(listed.id in line for line in lines) == 1
    assert "5f0c2a9e-1 " in text and "5f0c2a9e-7 " in text
    assert "metformin" in text and "overdue" in text


def test_patient_prefixes_are_unique_and_accepted_back() -> None:
    prefixes = unique_prefixes([*PATIENTS, "0badcafe-0000-5000-8000-000000000000"])
    assert prefixes[PATIENTS[0]] == "5f0c2a9e-1"
    assert prefixes[PATIENTS[1]] == "5f0c2a9e-7"
    assert prefixes["0badcafe-0000-5000-8000-000000000000"] == "0badcafe"
    assert matching(prefixes[PATIENTS[0]], PATIENTS) == [PATIENTS[0]]
    assert matching("5f0c2a9e", PATIENTS) == sorted(PATIENTS)
    assert matching(PATIENTS[1], PATIENTS) == [PATIENTS[1]]


def test_sandbox_patients_fits_80_columns_with_whole_ids() -> None:
    roster = [
        RosterEntry(
            id=pid,
            name=f"Maria-Josefina Hernandez-Oyelaran {n}",
            birth_date="1956-03-14",
            sex="female",
            problems=("type 2 diabetes", "hypertension", "chronic kidney disease", "heart failure"),
            active_meds=7,
        )
        for n, pid in enumerate(PATIENTS)
    ]
    text = render(roster_table(roster, "http://127.0.0.1:8090/fhir"))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    for pid in PATIENTS:
        assert sum(pid in line for line in lines) == 1
    assert "type 2 diabetes" in text and "7 active" in text


def test_demo_closing_text_has_each_url_and_the_login_on_one_line() -> None:
    closing = Closing(
        api_port=8000,
        console_port=8501,
        fhir_url="http://127.0.0.1:8090/fhir",
        demo_login=("demo", "demo-clinician"),
    )
    console = Console(width=80, record=True, color_system=None)
    for line in closing.lines():
        console.print(line, soft_wrap=True, markup=False, highlight=False)
    printed = console.export_text().splitlines()
    assert len(printed) == len(closing.entries())
    for wanted in ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/docs", "http://127.0.0.1:8501/"):
        assert any(line.split()[-1] == wanted for line in printed)
    login = next(line for line in printed if "login" in line)
    assert login.rstrip().endswith("demo / demo-clinician")
    assert all(len(line.rstrip()) <= 80 for line in printed)
