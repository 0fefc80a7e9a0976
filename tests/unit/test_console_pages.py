"""The console's pages driven through Streamlit's AppTest, over the real review backend.

Sign-in tests run on an empty database of their own; the decision tests file real escalations by
chatting with the offline agent over the seeded sandbox, then decide them on the Item page.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from agent.service import ChatService
from carecoord.audit import AuditLog
from carecoord.db import make_engine
from carecoord.review.queue import ReviewQueue
from carecoord.revocations import RevocationList
from carecoord.settings import Settings
from carecoord.users import User, UserStore
from carecoord.wiring import phi_keyring
from tests.fixtures.agent import SeededSandbox
from ui.console.cli import settings_env

APP = Path(__file__).resolve().parents[2] / "ui" / "console" / "app.py"
PAGES = ["pages/queue.py", "pages/item.py", "pages/board.py", "pages/audit.py", "pages/metrics.py"]
USER_KEY = "console.user"
TITLE = ":material/stethoscope: CareCoord clinician console"
TIMEOUT_S = 120


def console(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The console app as `carecoord console` would start it for `settings`."""
    for name, value in settings_env(settings).items():
        monkeypatch.setenv(name, value)
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)


def add_user(settings: Settings, role: str = "clinician") -> tuple[User, str]:
    """A new user with a unique name (cheap bcrypt), and its password."""
    engine = make_engine(settings.sqlalchemy_url, phi_keyring(settings))
    try:
        name = f"dr-{uuid.uuid4().hex[:8]}"
        password = "correct horse battery"
        return UserStore(engine, rounds=4).add(name, password, role, f"Dr. {name[3:]}"), password
    finally:
        engine.dispose()


def shown(at: AppTest) -> str:
    """Every piece of text on the page, for assertions on what a clinician sees."""
    parts = [
        e.value for e in (*at.title, *at.markdown, *at.text, *at.caption, *at.info, *at.success, *at.error)
    ]
    return "\n".join(str(p) for p in parts)


# -- sign-in -----------------------------------------------------------------------------------


@pytest.fixture
def empty_settings(tmp_path: Path) -> Settings:
    """A console over an empty database and no FHIR server (sign-in needs neither)."""
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'console.sqlite3'}",
        fhir_url="http://127.0.0.1:9/fhir",
        reasoner="offline",
    )


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_only_the_sign_in_form_before_login(
    page: str, empty_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = console(empty_settings, monkeypatch).run()
    at.switch_page(page).run()
    assert not at.exception
    assert at.title[0].value == TITLE
    assert [t.label for t in at.text_input] == ["User name", "Password", "Authenticator code (if enrolled)"]
    assert not at.dataframe and not at.metric and not at.tabs
    assert not at.sidebar.button, "no navigation or sign-out before login"


def test_wrong_password_is_refused_and_recorded(
    empty_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    user, password = add_user(empty_settings)
    at = console(empty_settings, monkeypatch).run()
    at.text_input(key="login_name").input(user.name)
    at.text_input(key="login_password").input("not the password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Wrong user name or password."]
    assert USER_KEY not in at.session_state
    assert not at.dataframe

    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    assert at.session_state[USER_KEY].name == user.name
    assert at.title[0].value == "Review queue"
    engine = make_engine(empty_settings.sqlalchemy_url, phi_keyring(empty_settings))
    actions = [(e.actor, e.action) for e in AuditLog(engine).entries(actor=user.name)]
    engine.dispose()
    assert actions == [(user.name, "login"), (user.name, "login_failed")]


def test_sign_out_returns_to_the_form(empty_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    user, _ = add_user(empty_settings)
    at = console(empty_settings, monkeypatch)
    at.session_state[USER_KEY] = user
    at.run()
    assert at.title[0].value == "Review queue"
    at.sidebar.button(key="sign_out").click().run()
    assert at.title[0].value == TITLE
    assert USER_KEY not in at.session_state


def test_a_signed_session_ends_after_its_hours_even_on_an_open_page(
    empty_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15: the signed session's expiry holds while the page stays open; its id is then revoked."""
    user, password = add_user(empty_settings)
    at = console(empty_settings, monkeypatch).run()
    at.text_input(key="login_name").input(user.name)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    assert at.title[0].value == "Review queue"
    sid = at.session_state["console.sid"]
    assert at.session_state["console.expires"] > time.time() + 7.9 * 3600  # 8 h by default
    at.session_state["console.expires"] = int(time.time()) - 1
    at.run()
    assert at.title[0].value == TITLE and USER_KEY not in at.session_state
    engine = make_engine(empty_settings.sqlalchemy_url, phi_keyring(empty_settings))
    try:
        assert RevocationList(engine).is_revoked(sid)
    finally:
        engine.dispose()


# -- deciding items ----------------------------------------------------------------------------

_next_patient = itertools.count(3)


@dataclass(frozen=True)
class Filed:
    """An escalation the agent filed, and who is signed in to decide it."""

    item_id: str
    patient_id: str
    user: User


def metformin_patients(sandbox: SeededSandbox) -> list[str]:
    """Cohort patients with an active metformin prescription."""
    return [
        patient.id
        for patient in sandbox.cohort.patients
        if any(
            r["resourceType"] == "MedicationRequest"
            and r.get("status") == "active"
            and "metformin" in str(r.get("medicationCodeableConcept", "")).lower()
            for r in patient.resources
        )
    ]


@pytest.fixture
def refill(
    agent_settings: Settings, chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> Iterator[Filed]:
    """A pending refill approval filed by a real chat turn, and a clinician to decide it."""
    candidates = metformin_patients(seeded_sandbox)
    patient = candidates[next(_next_patient) % len(candidates)]
    result = chat_service.turn(patient, "Can I get a refill of my metformin?")
    assert result.escalation is not None and result.escalation.kind == "action_approval"
    user, _ = add_user(agent_settings)
    yield Filed(result.escalation.id, patient, user)


def open_item(at: AppTest, filed: Filed) -> AppTest:
    """Sign in as the filed item's clinician and open it on the Item page."""
    at.session_state[USER_KEY] = filed.user
    at.run()
    at.switch_page("pages/item.py")
    at.query_params["item"] = filed.item_id
    return at.run()


def item_status(settings: Settings, item_id: str) -> str:
    engine = make_engine(settings.sqlalchemy_url, phi_keyring(settings))
    try:
        item = ReviewQueue(engine).get(item_id)
        assert item is not None
        return item.status
    finally:
        engine.dispose()


@pytest.mark.integration
def test_item_page_shows_what_a_clinician_needs(
    refill: Filed, agent_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_item(console(agent_settings, monkeypatch), refill)
    assert not at.exception
    # Issue 15: the proposed action (it can quote the patient) is plain text, not markdown.
    # The patient's words come first (text), then the proposal (text).
    words, proposal = (t.value for t in at.text[:2])
    assert words == "Can I get a refill of my metformin?"
    assert proposal.startswith("Refill metformin")
    assert "tablet" in proposal and "refill" in proposal
    assert [t.label for t in at.tabs] == ["Approve", "Edit & approve", "Reject"]
    text = shown(at)
    assert "Can I get a refill of my metformin?" in text, "the transcript"
    assert "Verifier:" in text
    assert "Active medications" in text and "Upcoming appointments" in text, "the patient board"
    assert "- [metformin" in text, "medications read from FHIR, each linked to its resource"
    subheaders = [h.value for h in at.subheader]
    order = ["The patient wrote", "Proposed action", "Evidence", "Patient board", "Conversation"]
    assert [h for h in subheaders if h in order] == order
    plain = [t.value for t in at.text]  # st.text: the patient's words are never rendered as markdown
    assert plain[0] == "Can I get a refill of my metformin?", "the triggering message, first"
    assert "Asked for a refill of metformin" in text and "last filled 20" in text, "the plain reason"


@pytest.mark.integration
def test_approve_records_the_decision_and_shows_the_outcome(
    refill: Filed, agent_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_item(console(agent_settings, monkeypatch), refill)
    at.text_input(key=f"approve_note-{refill.item_id}").input("Checked renal function")
    at.button(key=f"approve_submit-{refill.item_id}").click().run()
    assert not at.exception and not at.error
    outcome = at.success[0].value
    assert f"Approved by {refill.user.name}" in outcome
    assert "The patient sees:" in outcome and "approved" in outcome
    assert "Written to the record as `MedicationRequest/" in outcome
    assert item_status(agent_settings, refill.item_id) == "approved"
    assert not at.tabs, "no decision controls once decided"
    assert "Checked renal function" in shown(at)


@pytest.mark.integration
def test_reject_needs_a_reason(
    refill: Filed, agent_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_item(console(agent_settings, monkeypatch), refill)
    at.button(key=f"reject_submit-{refill.item_id}").click().run()
    assert [e.value for e in at.error] == ["A reason is required. Nothing was decided."]
    assert item_status(agent_settings, refill.item_id) == "pending"

    at.text_area(key=f"reject_reason-{refill.item_id}").input("Due for an HbA1c first; please book a visit.")
    at.button(key=f"reject_submit-{refill.item_id}").click().run()
    assert f"Rejected by {refill.user.name}" in at.success[0].value
    assert item_status(agent_settings, refill.item_id) == "rejected"


@pytest.mark.integration
def test_edit_and_approve_checks_the_json_then_writes_the_edit(
    refill: Filed, agent_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_item(console(agent_settings, monkeypatch), refill)
    editor = at.text_area(key=f"edit_json-{refill.item_id}")
    draft = json.loads(editor.value)
    editor.input('{"resourceType": "MedicationRequest", ')
    at.button(key=f"edit_submit-{refill.item_id}").click().run()
    assert at.error[0].value.startswith("The edited resource is not valid JSON")
    at.text_area(key=f"edit_json-{refill.item_id}").input('{"resourceType": "Appointment"}')
    at.button(key=f"edit_submit-{refill.item_id}").click().run()
    assert at.error[0].value.startswith("The edited resource must stay a MedicationRequest")
    assert item_status(agent_settings, refill.item_id) == "pending"

    draft["dispenseRequest"]["quantity"]["value"] = 30
    at.text_area(key=f"edit_json-{refill.item_id}").input(json.dumps(draft))
    at.text_input(key=f"edit_note-{refill.item_id}").input("30 days until the A1c is back")
    at.button(key=f"edit_submit-{refill.item_id}").click().run()
    assert not at.error
    assert f"Approved by {refill.user.name}" in at.success[0].value
    assert "adjusted by your care team" in at.success[0].value
    engine = make_engine(agent_settings.sqlalchemy_url, phi_keyring(agent_settings))
    item = ReviewQueue(engine).get(refill.item_id)
    engine.dispose()
    assert item is not None and item.final_resource is not None
    assert item.final_resource["dispenseRequest"]["quantity"]["value"] == 30


@pytest.mark.integration
def test_second_decision_shows_who_decided_first(
    refill: Filed, agent_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = open_item(console(agent_settings, monkeypatch), refill)
    other, _ = add_user(agent_settings)
    second = open_item(console(agent_settings, monkeypatch), Filed(refill.item_id, refill.patient_id, other))
    first.button(key=f"approve_submit-{refill.item_id}").click().run()
    second.text_area(key=f"reject_reason-{refill.item_id}").input("Too late")
    second.button(key=f"reject_submit-{refill.item_id}").click().run()
    assert second.error[0].value == f"Already decided by {refill.user.name}; nothing was changed."
    assert item_status(agent_settings, refill.item_id) == "approved"


@pytest.mark.integration
def test_a_viewer_cannot_decide(
    refill: Filed, agent_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    viewer, _ = add_user(agent_settings, role="viewer")
    at = open_item(console(agent_settings, monkeypatch), Filed(refill.item_id, refill.patient_id, viewer))
    assert not at.tabs
    assert at.info[-1].value == "Your role (viewer) may read the queue but not decide items."


@pytest.mark.integration
def test_queue_audit_and_metrics_pages_show_the_item(
    refill: Filed, agent_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = console(agent_settings, monkeypatch)
    at.session_state[USER_KEY] = refill.user
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert refill.item_id in set(table["Id"])
    row = table[table["Id"] == refill.item_id].iloc[0]
    assert row["Patient's words"] == "Can I get a refill of my metformin?"
    assert row["Reason"].startswith("Asked for a refill of metformin")
    assert row["Patient"].rsplit(", ", 1)[1].isdigit(), "name and age"
    assert list(table["Level"]) == sorted(table["Level"], key=["EMERGENT", "URGENT", "routine"].index)

    at.switch_page("pages/audit.py").run()
    assert not at.exception
    assert at.success[0].value.startswith("Hash chain intact")
    assert {"escalate", "answer"} <= set(at.dataframe[0].value["Action"])

    at.switch_page("pages/metrics.py").run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels == ["Queue size", "Median time to decision", "Items filed", "Verifier removals"]
    assert int(at.metric[0].value) >= 1


@pytest.mark.integration
def test_answer_needs_text_then_reaches_the_patient(
    agent_settings: Settings,
    chat_service: ChatService,
    seeded_sandbox: SeededSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patient = seeded_sandbox.cohort.patients[next(_next_patient) % 60].id
    result = chat_service.turn(patient, "Should I double my insulin dose tonight?")
    assert result.escalation is not None and result.escalation.kind == "clinical_question"
    user, _ = add_user(agent_settings)
    at = open_item(console(agent_settings, monkeypatch), Filed(result.escalation.id, patient, user))
    assert [t.label for t in at.tabs] == ["Answer"]
    at.button(key=f"answer_submit-{result.escalation.id}").click().run()
    assert [e.value for e in at.error] == ["An answer is required. Nothing was sent."]
    assert item_status(agent_settings, result.escalation.id) == "pending"
    at.text_area(key=f"answer_text-{result.escalation.id}").input(
        "Please keep your usual dose; we will call you today."
    )
    at.button(key=f"answer_submit-{result.escalation.id}").click().run()
    assert f"Answered by {user.name}" in at.success[0].value
    assert item_status(agent_settings, result.escalation.id) == "answered"
    assert "we will call you today" in shown(at)


@pytest.mark.integration
def test_emergencies_are_acknowledged(
    agent_settings: Settings,
    chat_service: ChatService,
    seeded_sandbox: SeededSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patient = seeded_sandbox.cohort.patients[next(_next_patient) % 60].id
    result = chat_service.turn(patient, "I have crushing chest pain and my left arm is numb")
    assert result.escalation is not None and result.escalation.kind == "emergency"
    user, _ = add_user(agent_settings)
    at = open_item(console(agent_settings, monkeypatch), Filed(result.escalation.id, patient, user))
    assert not at.tabs
    at.button(key=f"acknowledge-{result.escalation.id}").click().run()
    assert not at.error
    assert f"Acknowledged by {user.name}" in at.success[0].value
    assert f"acknowledge-{result.escalation.id}" not in [b.key for b in at.button]


@pytest.mark.integration
def test_item_page_without_an_item_offers_the_open_ones(
    refill: Filed, agent_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = console(agent_settings, monkeypatch)
    at.session_state[USER_KEY] = refill.user
    at.run()
    at.switch_page("pages/item.py").run()
    picker = at.selectbox(key="pick_item")
    assert any(option.endswith(refill.item_id) for option in picker.options)
    picker.set_value(refill.item_id)
    at.button(key="pick_open").click().run()
    assert at.query_params["item"] == refill.item_id
    assert at.text[1].value.startswith("Refill metformin")  # after the patient's words
