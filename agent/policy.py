"""The safety policy and its screen; see `agent/safety/` (kept as the import path callers use)."""

from agent.safety.drug_classes import MedicationNames
from agent.safety.policy import POLICY_PATH, ActionRule, Flag, Policy, RefusalKind
from agent.safety.screen import SafetyScreen, Thresholds

__all__ = [
    "POLICY_PATH",
    "ActionRule",
    "Flag",
    "MedicationNames",
    "Policy",
    "RefusalKind",
    "SafetyScreen",
    "Thresholds",
]
