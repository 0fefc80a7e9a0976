"""The shipped target-rule sources: each reads one data table and says which phrases name which concept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast, get_args

import yaml

from agent.language.models import Kind
from agent.language.targets import TargetRule, register_source
from tools.concepts import medication_classes, observation_table, specialties, vaccines

AGENT_DIR = Path(__file__).resolve().parent.parent
TERMS_PATH = Path(__file__).with_name("data") / "terms.yaml"
DRUG_NAMES_PATH = AGENT_DIR / "grounding" / "drug_names.yaml"
POLICY_PATH = AGENT_DIR / "policy.yaml"


def _yaml(path: Path) -> dict[str, object]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def observation_rules() -> Iterator[TargetRule]:
    """Labs and vitals from `tools/concepts/observations.yaml` (kind lab_or_vital)."""
    for concept in observation_table().concepts.values():
        yield TargetRule(
            concept_id=concept.id,
            kind="lab_or_vital",
            phrases=concept.names,
            exact=concept.abbreviations,
            cased=concept.cased,
            source="observations",
        )


def specialty_rules() -> Iterator[TargetRule]:
    """Specialties and their lay words from `tools/concepts/specialties.yaml`."""
    for specialty in specialties():
        yield TargetRule(specialty.name, "specialty", phrases=specialty.names, source="specialties")


def drug_name_rules() -> Iterator[TargetRule]:
    """Medications by generic (concept id) from `agent/grounding/drug_names.yaml`: generic and brand names.

    A combination brand ("Janumet") is its own concept, id = its generics joined with "+".
    """
    data = _yaml(DRUG_NAMES_PATH)
    generics = data.get("generics") or {}
    for generic, names in cast(dict[str, object], generics).items():
        yield TargetRule(
            generic.lower(), "medication", phrases=(generic, *_strings(names)), source="drug_names"
        )
    combinations = data.get("combinations") or {}
    for brand, parts in cast(dict[str, object], combinations).items():
        yield TargetRule(
            "+".join(_strings(parts)).lower(), "medication", phrases=(brand,), source="drug_names"
        )


def term_rules() -> Iterator[TargetRule]:
    """The starter vocabulary of `agent/language/data/terms.yaml` (symptoms, conditions, allergies, ...)."""
    kinds = set(get_args(Kind))
    for kind, concepts in _yaml(TERMS_PATH).items():
        if kind == "version":
            continue
        if kind not in kinds:
            raise ValueError(f"{TERMS_PATH}: unknown kind {kind!r}; expected one of {sorted(kinds)}")
        for concept_id, phrases in cast(dict[str, object], concepts).items():
            yield TargetRule(concept_id, cast(Kind, kind), phrases=_strings(phrases), source="terms")


def medication_class_rules() -> Iterator[TargetRule]:
    """Medicine groups from `tools/concepts/medication_classes.yaml` (kind medication, id = the group's id)."""
    for group in medication_classes():
        yield TargetRule(group.id, "medication", phrases=group.names, source="medication_classes")


def vaccine_rules() -> Iterator[TargetRule]:
    """Vaccines and their lay words from `tools/concepts/vaccines.yaml` (kind immunization, id = vaccine id)."""
    for vaccine in vaccines().values():
        yield TargetRule(vaccine.id, "immunization", phrases=vaccine.names, source="vaccines")


def red_flag_rules() -> Iterator[TargetRule]:
    """Red and urgent flags of `agent/policy.yaml` (kind red_flag, id = the flag's id), `*` wildcards kept."""
    policy = _yaml(POLICY_PATH)
    for section in ("red_flags", "urgent_flags"):
        for flag in cast(list[dict[str, object]], policy.get(section) or []):
            yield TargetRule(
                str(flag["id"]), "red_flag", phrases=_strings(flag.get("phrases")), source="policy"
            )


register_source("observations", observation_rules)
register_source("specialties", specialty_rules)
register_source("vaccines", vaccine_rules)
register_source("medication_classes", medication_class_rules)
register_source("drug_names", drug_name_rules)
register_source("terms", term_rules)
register_source("policy", red_flag_rules)
