"""Safety triage: the policy data, the screen that applies it, and the escalation rules."""
