"""Every item the knowledge-base issue lists is present, with evidence from the right source.

A table, not a count: each row names a subject, a predicate, an object concept or words
that must appear in our own-words value, and the source the evidence must come from.
"""

from __future__ import annotations

import pytest

from smanav.kb import load_curated
from smanav.models import Assertion

DATA = load_curated()
ART = "smant-treatment"
MR = "smant-muscle-relaxants"

# (subject, predicate, object or None, words any of which the value contains, source)
ITEMS: list[tuple[str, str, str | None, tuple[str, ...], str]] = [
    # SMA itself
    ("sma", "definition", None, ("inherited", "neurodegenerative"), ART),
    ("sma", "has_symptom", "muscle-weakness", (), ART),
    ("smn1", "causes", "sma", (), ART),
    ("smn2", "definition", None, ("less efficient", "second"), ART),
    ("sma", "treatment_note", None, ("no cure", "cure"), ART),
    ("sma", "treatment_note", None, ("manage",), ART),
    ("sma", "treatment_note", None, ("experimental",), ART),
    ("sma", "recommended_by", "care-team", (), ART),
    ("sma", "has_symptom", "spasticity", (), MR),
    # Nusinersen
    ("nusinersen", "developed_by", "biogen", (), ART),
    ("nusinersen", "definition", None, ("first",), ART),
    ("nusinersen", "mechanism", None, ("smn2",), ART),
    ("nusinersen", "treatment_note", None, ("delay", "slow"), ART),
    ("nusinersen", "approved_by", "fda", (), "drugs-com-spinraza"),
    ("nusinersen", "route", None, ("intrathecal", "lumbar"), "drugs-com-spinraza-dosage"),
    ("nusinersen", "dosing", None, ("12 mg",), "drugs-com-spinraza-dosage"),
    ("nusinersen", "monitoring", None, ("platelet",), "spinraza-hcp-warnings"),
    ("nusinersen", "approved_by", "european-commission", (), "neurologylive-high-dose-ec"),
    # Zolgensma
    ("onasemnogene-abeparvovec", "developed_by", "avexis", (), ART),
    ("onasemnogene-abeparvovec", "developed_by", "novartis", (), ART),
    ("onasemnogene-abeparvovec", "mechanism", None, ("smn1",), ART),
    ("onasemnogene-abeparvovec", "approved_by", "fda", (), ART),
    ("onasemnogene-abeparvovec", "approved_by", "fda", (), "reuters-zolgensma-approval"),
    ("onasemnogene-abeparvovec", "indicated_for", None, ("all",), ART),
    ("onasemnogene-abeparvovec", "eligibility", None, (), ART),
    ("onasemnogene-abeparvovec", "eligibility", None, (), "ndclist-zolgensma-label"),
    ("onasemnogene-abeparvovec", "route", None, ("intravenous",), "ndclist-zolgensma-label"),
    ("onasemnogene-abeparvovec", "warning", None, ("liver",), "novartis-zolgensma-liver"),
    (
        "onasemnogene-abeparvovec",
        "monitoring",
        None,
        ("corticosteroid", "steroid"),
        "novartis-zolgensma-liver",
    ),
    (
        "onasemnogene-abeparvovec",
        "monitoring",
        None,
        ("aav9", "antibod"),
        "ndclist-zolgensma-label",
    ),
    ("onasemnogene-abeparvovec", "warning", None, ("repeat",), "ndclist-zolgensma-label"),
    # Itvisma and risdiplam
    ("onasemnogene-abeparvovec-it", "approved_by", "fda", (), "practicalneurology-itvisma"),
    ("onasemnogene-abeparvovec-it", "eligibility", None, (), "practicalneurology-itvisma"),
    ("onasemnogene-abeparvovec-it", "route", None, ("intrathecal",), "practicalneurology-itvisma"),
    ("onasemnogene-abeparvovec-it", "warning", None, ("liver",), "curesma-itvisma"),
    ("risdiplam", "approved_by", "fda", (), "jama-risdiplam"),
    ("risdiplam", "eligibility", None, (), "jama-risdiplam"),
    ("risdiplam", "eligibility", None, (), "dailymed-evrysdi"),
    ("risdiplam", "mechanism", None, ("splicing",), "dailymed-evrysdi"),
    ("risdiplam", "route", None, ("mouth", "oral"), "dailymed-evrysdi"),
    ("risdiplam", "do_not_combine_with", "metformin", (), "dailymed-evrysdi"),
    ("risdiplam", "approved_by", "fda", (), "fiercepharma-evrysdi-tablet"),
    # Other medications
    ("baclofen", "evidence_in_sma", None, (), ART),
    ("amitriptyline", "evidence_in_sma", None, (), ART),
    ("baclofen", "approved_by", None, (), "smant-baclofen"),
    ("tizanidine", "evidence_in_sma", None, (), "smant-tizanidine"),
    # Muscle relaxants
    ("baclofen", "member_of_class", "muscle-relaxants", (), ART),
    ("tizanidine", "member_of_class", "muscle-relaxants", (), ART),
    ("benzodiazepines", "member_of_class", "muscle-relaxants", (), ART),
    ("diazepam", "member_of_class", "benzodiazepines", (), MR),
    ("alprazolam", "member_of_class", "benzodiazepines", (), MR),
    ("clonazepam", "member_of_class", "benzodiazepines", (), MR),
    ("muscle-relaxants", "addresses_symptom", "spasticity", (), ART),
    ("muscle-relaxants", "addresses_symptom", "muscle-spasm", (), MR),
    ("spasticity", "definition", None, ("stiff",), ART),
    ("muscle-relaxants", "mechanism", None, ("signal",), MR),
    ("muscle-relaxants", "side_effect", None, ("dizziness",), MR),
    ("muscle-relaxants", "side_effect", None, ("fatigue", "tired"), MR),
    ("muscle-relaxants", "side_effect", None, ("headache",), MR),
    ("muscle-relaxants", "side_effect", None, ("nausea",), MR),
    ("muscle-relaxants", "side_effect", None, ("stomach",), MR),
    ("muscle-relaxants", "do_not_combine_with", "alcohol", (), MR),
    # Drooling
    ("jaw-spasm", "causes", "drooling", (), ART),
    ("excess-saliva", "causes", "drooling", (), ART),
    ("dysphagia", "causes", "drooling", (), ART),
    ("amitriptyline", "addresses_symptom", "drooling", (), ART),
    ("glycopyrrolate", "addresses_symptom", "drooling", (), ART),
    ("atropine", "addresses_symptom", "drooling", (), ART),
    # Rehabilitation
    ("physical-therapy", "addresses_symptom", "muscle-weakness", (), ART),
    ("physical-therapy", "warning", None, ("harm",), ART),
    ("physical-therapy", "recommended_by", "physical-therapist", (), ART),
    ("limb-braces", None, None, (), ART),
    ("orthotics", None, None, (), ART),
    ("speech-synthesizer", None, None, (), ART),
    ("wheelchair", None, None, (), ART),
    ("occupational-therapy", None, None, (), ART),
    # Breathing
    ("sma", "has_symptom", "respiratory-insufficiency", (), ART),
    ("respiratory-insufficiency", None, None, ("diaphragm",), ART),
    ("ventilation", "addresses_symptom", "respiratory-insufficiency", (), ART),
    ("non-invasive-ventilation", None, None, ("mask",), ART),
    ("non-invasive-ventilation", None, None, ("short",), ART),
    ("invasive-ventilation", None, None, ("trachea", "windpipe"), ART),
    ("tracheostomy", None, None, ("neck",), ART),
    # Nutrition
    ("dysphagia", "causes", "weight-loss", (), ART),
    ("dysphagia", "causes", "failure-to-thrive", (), ART),
    ("aspiration", "causes", "lung-infection", (), ART),
    ("gastroesophageal-reflux", "definition", None, ("acid", "stomach"), ART),
    ("regulated-diet", "addresses_symptom", None, (), ART),
    ("feeding-tube", None, None, ("nose", "mouth"), ART),
    ("gastrostomy", None, None, ("abdomen", "belly"), ART),
    # Spine
    ("scoliosis", "definition", None, ("curv",), ART),
    ("back-brace", "addresses_symptom", "scoliosis", (), ART),
    ("spinal-surgery", "addresses_symptom", "scoliosis", (), ART),
]


def _matches(
    a: Assertion, pred: str | None, obj: str | None, words: tuple[str, ...], source: str
) -> bool:
    if pred is not None and a.predicate.value != pred:
        return False
    if obj is not None and a.object != obj:
        return False
    if words and not any(w in (a.value or "").casefold() for w in words):
        return False
    return any(ev.source == source for ev in a.evidence)


@pytest.mark.parametrize(
    ("subject", "pred", "obj", "words", "source"),
    ITEMS,
    ids=[f"{s}-{p}-{o or '/'.join(w) or ''}-{src}" for s, p, o, w, src in ITEMS],
)
def test_item_present(
    subject: str, pred: str | None, obj: str | None, words: tuple[str, ...], source: str
) -> None:
    assert subject in DATA.concepts, f"concept {subject!r} missing"
    found = [
        a
        for a in DATA.assertions.values()
        if a.subject == subject and _matches(a, pred, obj, words, source)
    ]
    assert found, f"no {pred} statement about {subject} ({obj or words}) citing {source}"


@pytest.mark.parametrize(
    ("concept", "system", "code"),
    [
        ("sma", "MONDO", "MONDO:0001516"),
        ("sma", "ICD-10-CM", "G12.9"),
        ("sma-type-1", "ICD-10", "G12.0"),
        ("sma-type-1", "OMIM", "253300"),
        ("sma-type-2", "ICD-10", "G12.1"),
        ("sma-type-3", "OMIM", "253400"),
        ("sma-type-4", "OMIM", "271150"),
        ("spasticity", "HPO", "HP:0001257"),
        ("drooling", "HPO", "HP:0002307"),
        ("scoliosis", "HPO", "HP:0002650"),
        ("nusinersen", "ATC", "M09AX07"),
        ("risdiplam", "ATC", "M09AX10"),
        ("baclofen", "RxNorm", "1292"),
        ("diazepam", "RxNorm", "3322"),
    ],
)
def test_codes_present(concept: str, system: str, code: str) -> None:
    codes = {(c.system, c.code) for c in DATA.concepts[concept].codes}
    assert (system, code) in codes


@pytest.mark.parametrize(
    ("concept", "system", "status"),
    [
        ("sma-type-1", "SNOMED CT", "unverified"),
        ("sma-type-1", "OMIM", "verified"),
        ("tizanidine", "RxNorm", "unverified"),
        ("baclofen", "RxNorm", "verified"),
    ],
)
def test_code_status_as_checked(concept: str, system: str, status: str) -> None:
    (code,) = [c for c in DATA.concepts[concept].codes if c.system == system]
    assert code.status == status


def test_sma_types_0_to_4_exist() -> None:
    for n in range(5):
        assert DATA.concepts[f"sma-type-{n}"].kind == "sma_type"


def test_every_intervention_sits_in_a_care_domain() -> None:
    from smanav.models import INTERVENTION_KINDS, CareDomain

    domains = {c.domain for c in DATA.concepts.values() if c.kind in INTERVENTION_KINDS}
    assert domains == set(CareDomain)


def test_zolgensma_age_limits_from_both_sources_are_kept() -> None:
    rows = [
        a
        for a in DATA.assertions.values()
        if a.subject == "onasemnogene-abeparvovec" and a.predicate == "eligibility"
    ]
    by_source = {a.evidence[0].source: a for a in rows}
    article, label = by_source[ART], by_source["ndclist-zolgensma-label"]
    assert article.qualifiers.age_max_months == 24 and not article.qualifiers.age_max_exclusive
    assert label.qualifiers.age_max_months == 24 and label.qualifiers.age_max_exclusive
    assert article.as_of is not None and label.as_of is not None
    assert article.as_of < label.as_of


def test_hedged_and_negated_statements_are_marked() -> None:
    negated = [
        a
        for a in DATA.assertions.values()
        if a.predicate == "evidence_in_sma" and a.certainty == "negated"
    ]
    assert {a.subject for a in negated} >= {
        "baclofen",
        "tizanidine",
        "amitriptyline",
        "glycopyrrolate",
        "atropine",
    }
    assert any(
        a.certainty == "hedged" for a in DATA.assertions.values() if a.subject == "nusinersen"
    )


def test_secondary_only_facts_cite_a_secondary_source() -> None:
    for sid in ("practicalneurology-itvisma", "neurologylive-high-dose-ec", "smant-tizanidine"):
        assert DATA.sources[sid].grade == "secondary"
