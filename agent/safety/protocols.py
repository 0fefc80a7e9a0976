"""Which protocol a message calls for, from `policy.yaml`.

Poison Control or 911 for an overdose, a double dose or a child's ingestion (by flag, drug class, amount and symptoms), and the 15-15 rule for low sugar now
(named, read on a meter, or suspected from a glucose-lowering medicine with its symptoms), unless the person
cannot swallow safely: then 911 and glucagon come first. The protocol's text opens the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.language.models import Quantity
from agent.models import EscalationLevel
from agent.safety.drug_classes import DrugClasses
from agent.safety.findings import Findings
from agent.safety.policy import LEVEL_RANK, Flag, Policy, ReadingRule
from agent.text import contains_phrase, normalise


@dataclass(frozen=True)
class ProtocolChoice:
    """A protocol the message calls for, and the flag that named it."""

    id: str
    flag: str
    level: EscalationLevel


class Protocols:
    """Chooses the protocol for one message's findings (the screen decides emergencies around it)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def find(self, found: Findings, classes: DrugClasses) -> ProtocolChoice | None:
        """Overdose and dose errors (Poison Control or 911), then active low blood sugar."""
        overdose = self.policy.overdose
        for mention in found.red_flags:
            flag = self.policy.flag(mention.concept_id)
            if overdose is None or flag is None or flag.id not in overdose.flags:
                continue
            return self.overdose(flag, found, classes)
        for mention in found.red_flags:
            flag = self.policy.flag(mention.concept_id)
            if flag is not None and flag.protocol and flag.level == "emergent":
                return ProtocolChoice(flag.protocol, flag.id, "emergent")
        child = overdose and overdose.child_flag and self.policy.flag(overdose.child_flag)
        if child and self._child_ingestion(found):
            return self.overdose(child, found, classes)
        amount = overdose and self.policy.flag(overdose.amount_flag)
        if amount and self._stated_overdose(found):
            return self.overdose(amount, found, classes)
        return self._by_mouth_safety(found, self._hypoglycemia(found, classes))

    def _child_ingestion(self, found: Findings) -> bool:
        """A child who took a medicine ("my toddler swallowed one of grandpa's heart pills")."""
        overdose = self.policy.overdose
        if overdose is None or not found.analysis.current("medication"):
            return False
        child = any(
            m.experiencer.relation in overdose.child_relations and not m.negated
            for m in found.analysis.mentions
        )
        text = normalise(found.analysis.text)
        return child and any(contains_phrase(text, word) for word in overdose.taking_words)

    def _stated_overdose(self, found: Findings) -> bool:
        """A medicine taken in a severe amount ("took 9 of my sleeping pills", "45 units of Humalog")."""
        overdose = self.policy.overdose
        if overdose is None or not found.analysis.of_kind("medication"):
            return False
        text = normalise(found.analysis.text)
        taking = any(contains_phrase(text, word) for word in overdose.taking_words)
        return taking and _large_amount(found, overdose.severe_count, overdose.severe_units)

    def overdose(self, flag: Flag, found: Findings, classes: DrugClasses) -> ProtocolChoice | None:
        """Poison Control, or 911 when the flag, a current symptom or the medicine's class is severe."""
        overdose = self.policy.overdose
        if overdose is None or flag.id not in overdose.flags:
            return None
        severe = (
            flag.id in overdose.severe_flags
            or bool(found.current.intersection(overdose.severe_symptoms))
            or any(classes.named(c) for c in overdose.severe_drug_classes)
            or _large_amount(found, overdose.severe_count, overdose.severe_units)
        )
        protocol_id = overdose.severe_protocol if severe else flag.protocol or overdose.protocol
        level = _max_level(flag.level, self.policy.protocols[protocol_id].level)
        return ProtocolChoice(protocol_id, flag.id, level)

    def _by_mouth_safety(self, found: Findings, protocol: ProtocolChoice | None) -> ProtocolChoice | None:
        """Fast sugar by mouth only for someone who can swallow: otherwise 911 and glucagon first."""
        hypo = self.policy.hypoglycemia
        if protocol is None or hypo is None or protocol.id != hypo.protocol:
            return protocol
        if hypo.by_mouth_unsafe_protocol and found.current.intersection(hypo.by_mouth_unsafe):
            return ProtocolChoice(hypo.by_mouth_unsafe_protocol, hypo.red_flag, "emergent")
        return protocol

    def _hypoglycemia(self, found: Findings, classes: DrugClasses) -> ProtocolChoice | None:
        """A low reading now, or current low sugar (named, or suspected) with typical symptoms."""
        for quantity in found.readings:
            rule = reading_rule(self.policy, found, quantity)
            if rule is not None and rule.protocol:
                flag = rule.red_flag or rule.urgent_flag or rule.protocol
                level: EscalationLevel = (
                    "emergent" if rule.red_flag else self.policy.protocols[rule.protocol].level
                )
                return ProtocolChoice(rule.protocol, flag, level)
        hypo = self.policy.hypoglycemia
        if hypo is None:
            return None
        low_reading = any(
            r.protocol == hypo.protocol and r.concept == q.concept_id and r.matches(q.value, q.value2)
            for q in found.readings
            for r in self.policy.readings
        )
        symptoms = found.current.intersection(hypo.symptoms)
        suspected = (
            hypo.suspect_drug_class is not None
            and classes.named(hypo.suspect_drug_class)
            and len(symptoms) >= hypo.suspect_min_symptoms
        )
        low_now = (hypo.condition in found.current and bool(symptoms)) or suspected
        if not (low_reading or low_now):
            return None
        if found.current.intersection(hypo.severe_symptoms):
            return ProtocolChoice(hypo.protocol, hypo.red_flag, "emergent")
        return ProtocolChoice(hypo.protocol, hypo.urgent_flag, self.policy.protocols[hypo.protocol].level)


def reading_rule(policy: Policy, found: Findings, quantity: Quantity) -> ReadingRule | None:
    """The first of the policy's reading rules that applies to `quantity` in this message, if any."""
    for rule in policy.readings:
        if rule.concept != quantity.concept_id or not rule.matches(quantity.value, quantity.value2):
            continue
        if rule.with_symptom and not other_symptom(found):
            continue
        if rule.symptoms and not found.current.intersection(rule.symptoms):
            continue
        return rule
    return None


def other_symptom(found: Findings) -> bool:
    """A current symptom besides the reading itself ("sugar 38 and I'm confused")."""
    return any(m.current and m.kind == "symptom" for m in found.analysis.mentions)


def _large_amount(found: Findings, count: int | None, units: int | None) -> bool:
    """A stated amount of medicine at or above the policy's severe count (pills) or units (insulin)."""
    for quantity in found.analysis.quantities:
        if quantity.kind == "lab_or_vital":
            continue
        if quantity.unit is None and count is not None and quantity.value >= count:
            return True
        if quantity.unit == "[iU]" and units is not None and quantity.value >= units:
            return True
    return False


def _max_level(a: EscalationLevel, b: EscalationLevel) -> EscalationLevel:
    return a if LEVEL_RANK[a] >= LEVEL_RANK[b] else b
