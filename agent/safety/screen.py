"""The safety screen: the first node of every turn, applying `policy.yaml` to one message.

Emergencies are decided by clinical concept in context (spaCy targets + ConText, `agent/language`):
a current red-flag mention always wins; negation, history, hypotheticals and questions about signs only
touch the mention they modify ("crushing chest pain, I have a history of heart attack" is emergent).
Then families by combination (meningitis, sepsis, ...), readings against the policy's thresholds, and the
protocols (low sugar now, a dose taken by mistake) whose instructions come first. A message with no
recognised clinical concept is never an emergency; the exemplar classifier is only a backstop for
current symptom reports that no phrase names. Refusals come after emergencies: a caregiver reporting
someone else's emergency gets the emergency instructions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from spacy.language import Language

from agent.language import analyze, language_pipeline
from agent.models import ScreenResult
from agent.safety.drug_classes import DrugClasses, MedicationNames
from agent.safety.exemplars import Exemplars
from agent.safety.findings import Findings, findings
from agent.safety.policy import Flag, Policy
from agent.safety.protocols import ProtocolChoice, Protocols, reading_rule
from agent.safety.refusals import dose_change, only_someone_elses_record, refusal
from agent.text import normalise
from knowledge.vector_cache import TextEmbedder


@dataclass(frozen=True)
class Thresholds:
    """Cut-offs of the exemplar-based signals (the concept rules have none)."""

    emergency: float = 0.5
    """Classifier probability that makes a current symptom report an emergency."""
    reading_emergency: float = 0.8
    """The same with a reading (sugar, blood pressure) or an urgent flag in the message, which their own
    rules judge ("sugars in the 300s, no vomiting")."""
    refusal: float = 0.78
    urgent: float = 0.75


class SafetyScreen:
    """Applies the policy to one message; builds the language pipeline and exemplar vectors once."""

    def __init__(
        self,
        policy: Policy,
        embedder: TextEmbedder,
        ordinary: Sequence[str] = (),
        thresholds: Thresholds | None = None,
        nlp: Language | None = None,
    ) -> None:
        self.policy = policy
        self.exemplars = Exemplars(policy, embedder, ordinary)
        self.embedder = embedder
        self.thresholds = thresholds or Thresholds()
        self.protocols = Protocols(policy)
        self._nlp = nlp

    @property
    def nlp(self) -> Language:
        """The spaCy pipeline (the shared one unless a custom one was given)."""
        return self._nlp or language_pipeline()

    def warm(self) -> None:
        """Build the pipeline and embed every exemplar now, so the first message is not the slow one."""
        _ = (self.nlp, self.exemplars.groups, self.exemplars.classifier)

    def check(
        self,
        message: str,
        vector: NDArray[np.float32] | None = None,
        medications: MedicationNames | None = None,
    ) -> ScreenResult:
        """Screen one message: emergencies, then protocols, then refusals, then urgent flags."""
        found = self._with_readings(findings(analyze(message, nlp=self.nlp)))
        classes = DrugClasses(self.policy, self.nlp, found, medications)
        protocol = self.protocols.find(found, classes)
        emergency = self._emergency(found, classes)
        if emergency is not None:
            return self._with_protocol(emergency, protocol)
        if protocol is not None:
            return self._protocol_result(protocol)
        text = normalise(message)
        change = dose_change(text, found)
        if change is not None:
            return change
        query = vector if vector is not None else self.embedder.embed_one(message)
        if found.reports_now and not only_someone_elses_record(found):
            backstop = self._classifier(query, found, classes)
            if backstop is not None and any(not m.current for m in found.analysis.mentions):
                backstop = self._classifier(self._current_only(message, found), found, classes)
            if backstop is not None:
                return backstop
        refused = refusal(
            self.policy, text, message, query, self.exemplars.groups.refusals, self.thresholds.refusal, found
        )
        if refused is not None:
            return refused
        return self._urgent(found, query) or ScreenResult()

    def _with_readings(self, found: Findings) -> Findings:
        """Add the concepts readings state ("temp 102" is a fever) to what is current."""
        implied = {
            rule.asserts
            for quantity in found.readings
            for rule in self.policy.readings
            if rule.asserts
            and rule.concept == quantity.concept_id
            and rule.matches(quantity.value, quantity.value2)
        }
        return replace(found, current=found.current | implied) if implied else found

    def _current_only(self, message: str, found: Findings) -> NDArray[np.float32]:
        """The message's vector without the mentions ConText set aside (negated, past, asked about).

        The classifier reads meaning, not ConText: "not confused, not dizzy, just tired" sits close to
        an emergency by its words, so before it decides, it is shown only what is said to happen now
        (embedded only then: most messages never reach this second look).
        """
        aside = [m for m in found.analysis.mentions if not m.current]
        kept, cursor = [], 0
        for mention in sorted(aside, key=lambda m: m.start):
            if mention.start >= cursor:
                kept.append(message[cursor : mention.start])
                cursor = mention.end
        kept.append(message[cursor:])
        return self.embedder.embed_one(" ".join(" ".join(kept).split()))

    # -- emergencies -----------------------------------------------------------------------------
    def _emergency(self, found: Findings, classes: DrugClasses) -> ScreenResult | None:
        for mention in found.red_flags:
            flag = self.policy.flag(mention.concept_id)
            if flag is None or flag.level != "emergent":
                continue
            if flag.requires_drug_class and not classes.has(flag.requires_drug_class):
                continue
            return self._result(
                flag.id, self.policy.instructions(flag.instructions), f"red flag: {mention.text}"
            )
        for combo in self.policy.combinations:
            # Concepts first: the drug class may read the patient's medications from the record (a FHIR
            # call and a parse), which only a combination whose concepts are all present needs.
            if not all(found.current.intersection(group) for group in combo.all_of):
                continue
            if combo.requires_drug_class and not classes.has(combo.requires_drug_class):
                continue
            named = " + ".join(sorted(c for g in combo.all_of for c in found.current.intersection(g)))
            return self._result(
                combo.id, self.policy.instructions(combo.instructions), f"combination: {named}"
            )
        for quantity in found.readings:
            rule = reading_rule(self.policy, found, quantity)
            if rule is not None and rule.red_flag:
                flag = self.policy.flag(rule.red_flag)
                key = flag.instructions if flag else None
                return self._result(rule.red_flag, self.policy.instructions(key), f"reading {quantity.text}")
        return None

    def _result(self, flag_id: str, instructions: str, matched: str) -> ScreenResult:
        return ScreenResult(red_flag=flag_id, level="emergent", instructions=instructions, matched=matched)

    def _with_protocol(self, emergency: ScreenResult, protocol: ProtocolChoice | None) -> ScreenResult:
        """An emergency that also calls for a protocol: the protocol's first step, then the 911 text."""
        if protocol is None:
            return emergency
        text = self.policy.protocols[protocol.id].text
        if protocol.flag != emergency.red_flag and "911" not in text.split(".")[0]:
            text = f"{text} {emergency.instructions}"
        return emergency.model_copy(update={"instructions": text, "protocol": protocol.id})

    # -- protocols --------------------------------------------------------------------------------
    def _protocol_result(self, protocol: ProtocolChoice) -> ScreenResult:
        text = self.policy.protocols[protocol.id].text
        if protocol.level == "emergent":
            return ScreenResult(
                red_flag=protocol.flag,
                level="emergent",
                instructions=text,
                protocol=protocol.id,
                matched=f"protocol: {protocol.id}",
            )
        return ScreenResult(
            urgent_flag=protocol.flag,
            level=protocol.level,
            instructions=text,
            protocol=protocol.id,
            matched=f"protocol: {protocol.id}",
        )

    # -- exemplar signals ---------------------------------------------------------------------------
    def _classifier(
        self, query: NDArray[np.float32], found: Findings, classes: DrugClasses
    ) -> ScreenResult | None:
        """The backstop for a current symptom report that no phrase names.

        With a reading in the message the bar is higher: the numbers have their own rules.
        """
        probability = self.exemplars.emergency_probability(query.reshape(1, -1))
        urgent_named = any(
            (named := self.policy.flag(m.concept_id)) is not None and named.level == "urgent"
            for m in found.red_flags
        )
        careful = bool(found.readings) or urgent_named
        bar = self.thresholds.reading_emergency if careful else self.thresholds.emergency
        if probability < bar:
            return None
        flag: Flag = self.exemplars.nearest_red_flag(query)
        matched = f"classifier p={probability:.2f}"
        if flag.requires_drug_class and not classes.has(flag.requires_drug_class):
            return None
        protocol = self.protocols.overdose(flag, found, classes) if flag.protocol else None
        if protocol is not None:
            return self._protocol_result(protocol).model_copy(
                update={"red_flag": flag.id, "level": "emergent"}
            )
        return self._result(flag.id, self.policy.instructions(flag.instructions), matched)

    def _urgent(self, found: Findings, query: NDArray[np.float32]) -> ScreenResult | None:
        for quantity in found.readings:
            rule = next(
                (
                    r
                    for r in self.policy.readings
                    if r.concept == quantity.concept_id
                    and r.matches(quantity.value, quantity.value2)
                    and r.urgent_flag
                    and not r.protocol
                ),
                None,
            )
            if rule is not None and rule.urgent_flag:
                return ScreenResult(
                    urgent_flag=rule.urgent_flag, level="urgent", matched=f"reading {quantity.text}"
                )
        for mention in found.red_flags:
            flag = self.policy.flag(mention.concept_id)
            if flag is not None and flag.level == "urgent":
                return ScreenResult(urgent_flag=flag.id, level="urgent", matched=f"flag: {mention.text}")
        if not found.reports_now:
            return None
        look_alike = self.exemplars.look_alike_similarity(query)
        numbered = {q.concept_id for q in found.readings if q.concept_id}
        for flag, vectors in self.exemplars.groups.urgent:
            if flag.numbers_decide in numbered:
                continue
            sim = float(np.max(vectors @ query))
            if sim >= self.thresholds.urgent and sim > look_alike:
                return ScreenResult(
                    urgent_flag=flag.id, level="urgent", matched=f"exemplar similarity {sim:.2f}"
                )
        return None
