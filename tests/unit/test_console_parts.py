from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from agent.transcript import TranscriptLine
from carecoord.cli import app
from carecoord.notify.status import NotificationStatus
from carecoord.review.views import QueueItem
from carecoord.settings import Settings
from tools.views import Observation, SourceResource
from ui.console.cli import SERVER, settings_env, streamlit_command
from ui.console.edits import InvalidInput, parse_edited, required_text
from ui.console.panel import latest_labs
from ui.console.queue_table import RowFacts, is_open, ordered, table
from ui.console.timefmt import ago, due, span
from ui.console.views.transcript import bubble

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def item(
    id: str,
    level: str,
    minutes_old: int,
    status: str = "pending",
    kind: str = "action_approval",
    **extra: object,
) -> QueueItem:
    created = NOW - timedelta(minutes=minutes_old)
    return QueueItem.model_validate(
        {
            "id": id,
            "kind": kind,
            "level": level,
            "status": status,
            "patient": "p1",
            "thread": "t1",
            "created": created,
            "due": created + timedelta(hours=1),
            "summary": f"summary {id}",
            "overdue": minutes_old > 60,
            **extra,
        }
    )


def test_queue_is_ordered_by_level_then_age() -> None:
    items = [
        item("r-new", "routine", 5),
        item("u", "urgent", 1),
        item("r-old", "routine", 90),
        item("e", "emergent", 0),
    ]
    assert [i.id for i in ordered(items)] == ["e", "u", "r-old", "r-new"]


def test_table_flags_overdue_items_and_reads_plainly() -> None:
    words = "I ran out of my metformin yesterday and the pharmacy says I need a new prescription. " * 3
    facts = {
        "a": RowFacts("Maria Garcia, 67", words, "Asked for a refill of metformin — last filled 2026-10-02"),
        "b": RowFacts("Ken Ito, 54", "my chest hurts", "Described chest pain"),
    }
    frame = table(
        [item("a", "routine", 90), item("b", "urgent", 10, assignee="drlee")],
        now=NOW,
        facts=lambda i: facts[i.id],
    )
    assert list(frame["Id"]) == ["b", "a"]
    assert list(frame["Waiting"]) == ["10 min of 1 h", "⚠ 1 h 30 min of 1 h"]
    assert list(frame["Level"]) == ["URGENT", "routine"]
    assert list(frame["Patient"]) == ["Ken Ito, 54", "Maria Garcia, 67"]
    assert list(frame["Assignee"]) == ["drlee", ""]
    assert frame["Patient's words"][1].startswith("I ran out of my metformin")
    assert len(frame["Patient's words"][1]) <= 140 and frame["Patient's words"][1].endswith("…")
    assert frame["Reason"][1] == "Asked for a refill of metformin — last filled 2026-10-02"


def test_table_shows_whether_the_on_call_team_was_notified() -> None:
    sent = NotificationStatus(state="sent", rounds=2, channels=["email", "webhook"], last_sent=NOW)
    frame = table(
        [
            item("e", "emergent", 1, status="notified", kind="emergency", notification=sent),
            item("u", "urgent", 2, notification=NotificationStatus(state="retrying", attempts=3)),
            item("r", "routine", 3),
        ],
        now=NOW,
    )
    assert list(frame["Notified"]) == ["sent 12:00 email+webhook ×2", "retrying (3 tries)", "—"]


def test_open_items() -> None:
    assert is_open(item("a", "routine", 1))
    assert is_open(item("e", "emergent", 1, status="notifying", kind="emergency"))
    assert not is_open(item("a", "routine", 1, status="approved", decided_by="drlee"))
    assert is_open(item("e", "emergent", 1, status="notified", kind="emergency"))
    assert not is_open(item("e", "emergent", 1, status="notified", kind="emergency", acknowledged_by="drlee"))


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=5), "5 s"),
        (timedelta(minutes=12), "12 min"),
        (timedelta(hours=3, minutes=5), "3 h 05 min"),
        (timedelta(days=2, hours=4), "2 d 4 h"),
    ],
)
def test_spans(delta: timedelta, text: str) -> None:
    assert span(delta) == text


def test_relative_times_accept_naive_utc() -> None:
    assert ago(NOW.replace(tzinfo=None) - timedelta(minutes=3), NOW) == "3 min ago"
    assert due(NOW + timedelta(hours=1), NOW) == "due in 1 h 00 min"
    assert due(NOW - timedelta(minutes=1), NOW) == "overdue 1 min"


def test_edited_json_must_parse_and_keep_its_type() -> None:
    original = {"resourceType": "MedicationRequest", "status": "draft"}
    assert parse_edited('{"resourceType": "MedicationRequest", "note": []}', original).resource["note"] == []
    with pytest.raises(InvalidInput, match="not valid JSON"):
        parse_edited("{", original)
    with pytest.raises(InvalidInput, match="must be a JSON object"):
        parse_edited("[1]", original)
    with pytest.raises(InvalidInput, match="must stay a MedicationRequest"):
        parse_edited('{"resourceType": "Appointment"}', original)


def test_required_text() -> None:
    assert required_text("  reason ", "A reason") == "reason"
    with pytest.raises(InvalidInput, match="A reason is required"):
        required_text(" \n ", "A reason")


def test_transcript_lines() -> None:
    asked = TranscriptLine(speaker="patient", text="Can I get a refill?")
    assert bubble(asked) == ("user", "Patient", "Can I get a refill?")
    decided = TranscriptLine(speaker="care_team", text="Approved: care team: x.")
    assert bubble(decided) == (":material/stethoscope:", "Care team", "Approved: care team: x.")
    assert decided.shown() == "care team: Approved: care team: x."


def lab(loinc: str, value: str, day: int) -> Observation:
    return Observation(
        source=SourceResource(resource_type="Observation", id=f"{loinc}-{day}", json_body={}),
        name=f"test {loinc}",
        loinc=loinc,
        value=value,
        unit=None,
        effective=datetime(2026, 1, day, tzinfo=UTC),
        category="laboratory",
    )


def test_latest_labs_keeps_the_newest_result_of_each_test() -> None:
    labs = latest_labs([lab("4548-4", "7.1", 3), lab("4548-4", "6.8", 20), lab("2160-0", "1.0", 10)])
    assert [(o.loinc, o.value) for o in labs] == [("4548-4", "6.8"), ("2160-0", "1.0")]


def test_streamlit_command_and_settings_env(tmp_path: Path) -> None:
    command = streamlit_command(8599, "127.0.0.1")
    assert command[1:5] == ["-m", "streamlit", "run", str(SERVER)]
    assert ["--server.port", "8599"] == command[5:7]
    assert "--server.headless" in command and "--browser.gatherUsageStats" in command
    settings = Settings(
        data_dir=tmp_path,
        fhir_url="http://h/fhir",
        database_url="sqlite:///x.db",
        vector_cache_dir=tmp_path / "v",
        reasoner="offline",
    )
    assert settings_env(settings) == {
        "CARECOORD_DATA_DIR": str(tmp_path),
        "CARECOORD_FHIR_URL": "http://h/fhir",
        "CARECOORD_REASONER": "offline",
        "CARECOORD_REFILL_REPEATS": "0",
        "CARECOORD_DATABASE_URL": "sqlite:///x.db",
        "CARECOORD_VECTOR_CACHE_DIR": str(tmp_path / "v"),
        "CARECOORD_AUDIT_ANCHOR_PATH": str(tmp_path / "audit-anchors.jsonl"),
        "CARECOORD_REQUIRE_MFA": "0",
        "CARECOORD_CONSOLE_SESSION_HOURS": "8.0",
    }
    keyed = settings.model_copy(
        update={
            "transcript_keys": {"k": SecretStr("a2V5")},
            "transcript_key_id": "k",
            "audit_key": SecretStr("s"),
            "console_session_secret": SecretStr("c" * 32),
        }
    )
    handed = settings_env(keyed)
    assert handed["CARECOORD_CONSOLE_SESSION_SECRET"] == "c" * 32
    assert (
        handed["CARECOORD_TRANSCRIPT_KEYS"] == '{"k": "a2V5"}'
        and handed["CARECOORD_TRANSCRIPT_KEY_ID"] == "k"
    )
    assert handed["CARECOORD_AUDIT_KEY"] == "s" and handed["CARECOORD_AUDIT_RETIRED_KEYS"] == "[]"


def test_console_command_is_mounted() -> None:
    result = CliRunner().invoke(app, ["console", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.output and "8501" in result.output


def test_next_item_follows_queue_order_and_wraps() -> None:
    from dataclasses import dataclass as _dataclass

    from ui.console.queue_table import next_open_item

    items = [
        item("r", "routine", 5),
        item("u", "urgent", 1),
        item("e", "emergent", 0),
        item("d", "routine", 9, status="approved"),
    ]

    @_dataclass
    class Queue:
        def list(self) -> list[QueueItem]:
            return items

    @_dataclass
    class Service:
        queue: Queue

    service = Service(Queue())
    assert next_open_item(service, "e") == "u"
    assert next_open_item(service, "u") == "r"
    assert next_open_item(service, "r") == "e"
    assert next_open_item(service, "d") == "e"
    items[:] = [item("only", "routine", 1)]
    assert next_open_item(service, "only") is None
