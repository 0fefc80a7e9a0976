"""The review item table (its schema is migrated by `carecoord/migrations`).

Everything that can quote the patient or their record (summary, rationale, evidence, verdict, drafts,
notes, replies, the message the patient saw) is sealed at rest with the PHI keyring (`carecoord.sealing`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from carecoord.db import Base
from carecoord.sealing import SealedJSON, SealedText


class ReviewItem(Base):
    """One escalation awaiting (or past) a clinician's decision, and what that decision has done so far."""

    __tablename__ = "review_items"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True, index=True)
    patient_id: Mapped[str] = mapped_column(String(64), index=True)
    thread_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    level: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default="pending")
    summary: Mapped[str] = mapped_column(SealedText("review_items.summary"))
    rationale: Mapped[str] = mapped_column(SealedText("review_items.rationale"))
    question_hash: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(SealedJSON("review_items.evidence"), default=list)
    grounding: Mapped[dict[str, Any] | None] = mapped_column(
        SealedJSON("review_items.grounding"), nullable=True
    )
    draft_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    draft_resource: Mapped[dict[str, Any] | None] = mapped_column(
        SealedJSON("review_items.draft_resource"), nullable=True
    )
    draft_identifier: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    note: Mapped[str | None] = mapped_column(SealedText("review_items.note"), nullable=True)
    """The clinician's note (the reason, for a rejection)."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    """Bumped by every decision: `UPDATE … WHERE status='pending' AND version=…` lets exactly one win."""

    task_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The FHIR Task mirroring this item, once the EHR has it."""
    final_resource: Mapped[dict[str, Any] | None] = mapped_column(
        SealedJSON("review_items.final_resource"), nullable=True
    )
    """The approved resource (with the clinician's edits), fixed at decision time so a retry writes the same."""
    fhir_reference: Mapped[str | None] = mapped_column(String(128), nullable=True)
    """`MedicationRequest/123`: the committed resource, once written."""
    reply: Mapped[str | None] = mapped_column(SealedText("review_items.reply"), nullable=True)
    """The clinician's answer to the patient (questions)."""
    patient_message: Mapped[str | None] = mapped_column(
        SealedText("review_items.patient_message"), nullable=True
    )
    """The line the patient saw in their thread, once delivered."""
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    """When every effect of the decision (EHR write, Task, patient message) was done; null means retry."""
    finishing_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    """Set while one session carries out the decision's effects (a lease: a dead session's lapses)."""
    acknowledged_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(100), nullable=True)
    """The clinician who claimed the item (null: unassigned); claiming is audited, not a decision."""
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
