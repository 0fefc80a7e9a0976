"""Approving from the console's Edit & approve form: the form's values are what the EHR gets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from carecoord.settings import Settings
from tests.fixtures.agent import TEST_KEYS
from tests.integration.review.approval_world import ApprovalWorld, Clinic, approval_world
from tests.unit.test_console_pages import USER_KEY, console
from tools.drafts import Draft

pytestmark = pytest.mark.integration


@pytest.fixture
def world(sandbox_url: str, tmp_path: Path) -> Iterator[ApprovalWorld]:
    with approval_world(sandbox_url, tmp_path) as made:
        yield made


@pytest.fixture
def settings(world: ApprovalWorld, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'review.sqlite3'}",
        fhir_url=world.base_url,
        reasoner="offline",
        refill_repeats=1,
        transcript_keys=TEST_KEYS,  # the world's stores are sealed with the session keyring
        transcript_key_id="test",
    )


def _open(at: AppTest, world: ApprovalWorld, item_id: str) -> AppTest:
    at.session_state[USER_KEY] = world.service.users.get("drlee")
    at.run()
    at.switch_page("pages/item.py")
    at.query_params["item"] = item_id
    return at.run()


def _refill(world: ApprovalWorld, clinic: Clinic) -> tuple[Draft, str]:
    record = world.record(clinic)
    [medication] = record.active_medications()
    draft = record.draft_refill(medication, request_key="console")
    return draft, world.file(clinic, draft)


def test_the_refill_form_writes_its_values_and_the_page_shows_the_written_order(
    world: ApprovalWorld, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic = world.seed()
    draft, item_id = _refill(world, clinic)
    at = _open(console(settings, monkeypatch), world, item_id)
    assert not at.exception
    assert at.number_input(key=f"f_refills-{item_id}").value == 1, "prefilled from clinic policy"
    assert at.number_input(key=f"f_qty-{item_id}").value == 180

    at.number_input(key=f"f_qty-{item_id}").set_value(60.0)
    at.number_input(key=f"f_days-{item_id}").set_value(30)
    at.button(key=f"form_submit-{item_id}").click().run()

    assert not at.exception and not at.error, [e.value for e in at.error]
    [order] = world.written(draft)
    assert at.success[0].value.endswith(f"Written to the record as `MedicationRequest/{order['id']}`.")
    dispense = order["dispenseRequest"]
    assert dispense["quantity"]["value"] == 60 and dispense["expectedSupplyDuration"]["value"] == 30
    assert dispense["numberOfRepeatsAllowed"] == 1
    assert at.info[0].value.startswith("Refill metformin 500 mg oral tablet, 60 tablets, 1 refill")
    assert world.read(f"MedicationRequest/{clinic.order['id']}")["status"] == "completed"


def test_the_slot_picker_books_the_picked_slot(
    world: ApprovalWorld, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic = world.seed()
    drafted, other = clinic.free_slots
    draft = world.record(clinic).draft_booking(world.slot_view(clinic, drafted), "check-up", "console")
    item_id = world.file(clinic, draft)
    at = _open(console(settings, monkeypatch), world, item_id)
    picker = at.selectbox(key=f"f_slot-{item_id}")
    assert picker.options[0].startswith(world.slot_view(clinic, drafted).start.strftime("%a %b %d %H:%M"))
    assert len(picker.options) == 2

    picker.set_value(other)
    at.button(key=f"form_submit-{item_id}").click().run()

    assert not at.error, [e.value for e in at.error]
    [visit] = world.written(draft)
    assert visit["slot"] == [{"reference": other}] and visit["status"] == "booked"
    assert world.read(other)["status"] == "busy" and world.read(drafted)["status"] == "free"
