"""Clinicians for the soak run: two of them race to approve every drafted action as it arrives.

Both see the same pending items and try each one, so every approval is contested: exactly-once
commits are what keeps the count of FHIR writes equal to the count of approvals.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from carecoord.outages import classify
from carecoord.review.errors import AlreadyDecided
from carecoord.settings import Settings
from carecoord.wiring import open_review_service, open_review_stores
from tools.errors import FhirError

CLINICIANS = ("soak-clinician-a", "soak-clinician-b")
PASSWORD = "soak-password-not-secret"


@dataclass
class Decisions:
    """What the clinicians did."""

    approved: int = 0
    lost_races: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, what: str) -> None:
        """Count one outcome (thread-safe)."""
        with self.lock:
            if what == "approved":
                self.approved += 1
            elif what == "lost race":
                self.lost_races += 1
            else:
                self.errors[what] += 1


def approve_pending(settings: Settings, user: str, stop: threading.Event, decisions: Decisions) -> None:
    """Approve pending drafted actions until `stop` is set (a clinician at a console of their own)."""
    shuffle = random.Random(user)
    with open_review_service(settings) as service:
        while not stop.is_set():
            try:
                pending = service.list(status="pending", kind="action_approval")
            except Exception as exc:  # a store is down: try again shortly
                decisions.count(f"list {classify(exc) or type(exc).__name__}")
                time.sleep(1.0)
                continue
            shuffle.shuffle(pending)
            for item in pending:
                try:
                    service.approve(item.id, user, note="soak")
                    decisions.count("approved")
                except AlreadyDecided:
                    decisions.count("lost race")
                except FhirError:
                    decisions.count("approve fhir_unavailable")
                except Exception as exc:  # an outage mid-decision: `repair` finishes it at the end
                    decisions.count(f"approve {classify(exc) or type(exc).__name__}")
            time.sleep(0.5)


def add_clinicians(settings: Settings) -> None:
    """The soak's clinician accounts."""
    with open_review_stores(settings) as stores:
        for name in CLINICIANS:
            if stores.users.get(name) is None:
                stores.users.add(name, PASSWORD, "clinician", display_name=name)
