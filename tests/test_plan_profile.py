"""Profiles: what people type becomes numbers and concept ids; bad input names its field."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smanav.errors import InvalidInput
from smanav.kb import KnowledgeBase
from smanav.plan import InvalidProfile, Profile, parse_profile
from smanav.plan.profile import format_age, parse_age


@pytest.mark.parametrize(
    ("given", "months"),
    [
        (8, 8.0),
        (30.5, 30.5),
        ("30", 30.0),
        ("8m", 8.0),
        ("3y", 36.0),
        ("2y6m", 30.0),
        ("2y 6m", 30.0),
        ("2 years 6 months", 30.0),
        ("1.5y", 18.0),
        ("0", 0.0),
        ("6w", 1.38),
        ("10 days", 0.33),
        ("120y", 1440.0),
    ],
)
def test_ages_in_words_and_numbers(given: object, months: float) -> None:
    assert parse_age(given) == months


@pytest.mark.parametrize(
    ("given", "needle"),
    [
        (-1, "negative"),
        ("-3m", "negative"),
        ("121y", "over 120 years"),
        (99999, "over 120 years"),
        ("soon", "not an age"),
        ("3x", "not an age"),
        ("", "not an age"),
        (True, "expected months"),
        ([1], "expected months"),
        (None, "expected months"),
        (float("nan"), "not a number"),
    ],
)
def test_bad_ages_are_named(given: object, needle: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_age(given)
    assert exc.value.field == "age_months"
    assert needle in exc.value.message


@pytest.mark.parametrize(
    ("months", "words"),
    [(30, "2 years 6 months"), (8, "8 months"), (24, "2 years"), (0, "newborn"), (0.5, "2 weeks")],
)
def test_ages_read_back_in_words(months: float, words: str) -> None:
    assert format_age(months) == words


@pytest.mark.parametrize(
    ("field", "given", "expected"),
    [
        ("symptoms", ["too much saliva"], ("drooling",)),
        ("symptoms", ["stiff muscles"], ("spasticity",)),
        ("symptoms", ["curved back"], ("scoliosis",)),
        ("symptoms", ["trouble breathing"], ("respiratory-insufficiency",)),
        ("symptoms", ["can't swallow"], ("dysphagia",)),
        ("symptoms", ["acid reflux"], ("gastroesophageal-reflux",)),
        ("symptoms", ["losing weight"], ("weight-loss",)),
        ("symptoms", ["HP:0002650"], ("scoliosis",)),
        ("symptoms", ["sialorrhea", "Drooling"], ("drooling",)),
        ("symptoms", ["scoliosis", "dysphagia"], ("dysphagia", "scoliosis")),
        ("medications", ["Valium"], ("diazepam",)),
        ("medications", ["robinul", "Glucophage"], ("glycopyrrolate", "metformin")),
        ("medications", ["baclofin"], ("baclofen",)),
        ("prior_treatments", ["Zolgensma"], ("onasemnogene-abeparvovec",)),
        ("prior_treatments", ["spinraza"], ("nusinersen",)),
    ],
)
def test_names_resolve_to_concepts(
    kb: KnowledgeBase, field: str, given: list[str], expected: tuple[str, ...]
) -> None:
    p = parse_profile({"age_months": 30, field: given}, kb)
    assert getattr(p, field) == expected


@pytest.mark.parametrize(
    ("profile", "field", "value"),
    [
        ({"sma_type": "2"}, "sma_type", 2),
        ({"sma_type": "type 3"}, "sma_type", 3),
        ({"sma_type": "unknown"}, "sma_type", None),
        ({"smn2_copies": "3"}, "smn2_copies", 3),
        ({"functional_status": "Non-Sitter"}, "functional_status", "non-sitter"),
        ({"functional_status": "non sitter"}, "functional_status", "non-sitter"),
        ({"functional_status": "walkers"}, "functional_status", "walker"),
        ({"alcohol_use": "yes"}, "alcohol_use", True),
        ({"spinal_fusion": False}, "spinal_fusion", False),
        ({"status": "sitter"}, "functional_status", "sitter"),
    ],
)
def test_small_fields_are_normalised(
    kb: KnowledgeBase, profile: dict[str, Any], field: str, value: object
) -> None:
    assert getattr(parse_profile({"age_months": 12, **profile}, kb), field) == value


def test_age_alias_and_profile_object(kb: KnowledgeBase) -> None:
    p = parse_profile({"age": "2y6m", "symptoms": ["curved back"]}, kb)
    assert p == Profile(
        age_months=30, symptoms=("scoliosis",), symptom_words={"scoliosis": "curved back"}
    )
    assert parse_profile(p, kb) == p


@pytest.mark.parametrize(
    ("profile", "field", "needle"),
    [
        ({}, "age_months", "is required"),
        ({"age_months": -2}, "age_months", "negative"),
        ({"age_months": "200y"}, "age_months", "over 120 years"),
        ({"age_months": 12, "sma_type": 9}, "sma_type", "not an SMA type"),
        ({"age_months": 12, "sma_type": True}, "sma_type", "not an SMA type"),
        ({"age_months": 12, "sma_type": 1.5}, "sma_type", "not an SMA type"),
        ({"age_months": 12, "smn2_copies": 0}, "smn2_copies", "not an SMN2 copy number"),
        (
            {"age_months": 12, "functional_status": "flying"},
            "functional_status",
            "not a functional",
        ),
        ({"age_months": 12, "functional_status": 3}, "functional_status", "expected non-sitter"),
        ({"age_months": 12, "symptoms": "drooling"}, "symptoms", "expected a list"),
        ({"age_months": 12, "symptoms": [42]}, "symptoms[0]", "as text"),
        ({"age_months": 12, "symptoms": ["baclofen"]}, "symptoms[0]", "not a symptom"),
        ({"age_months": 12, "symptoms": ["HP:9999999"]}, "symptoms[0]", "not a symptom"),
        ({"age_months": 12, "medications": [42]}, "medications[0]", "as text"),
        ({"age_months": 12, "medications": "baclofen"}, "medications", "expected a list"),
        ({"age_months": 12, "medications": ["x" * 201]}, "medications[0]", "at most 200"),
        ({"age_months": 180, "pregnancy": "maybe"}, "pregnancy", "not a pregnancy status"),
        ({"age_months": 24, "pregnancy": "pregnant"}, "pregnancy", "does not fit the age"),
        ({"age_months": 12, "weight_kg": -3}, "weight_kg", "outside"),
        ({"age_months": 12, "weight_kg": "heavy"}, "weight_kg", "not a weight"),
        ({"age_months": 12, "region": "JP"}, "region", "not a region"),
        ({"age_months": 12, "breathing_support": "cpap"}, "breathing_support", "not a kind"),
        ({"age_months": 12, "feeding": "iv"}, "feeding", "not a way of feeding"),
        ({"age_months": 12, "liver_disease": "a bit"}, "liver_disease", "true or false"),
        ({"age_months": 12, "sma_type": "pre"}, "sma_type", "presymptomatic"),
        ({"age_months": 12, "alcohol_use": "sometimes"}, "alcohol_use", "true or false"),
        ({"age_months": 12, "spinal_fusion": 1}, "spinal_fusion", "true or false"),
        ({"age_months": 12, "smn2": 2}, "smn2", "not a profile field"),
        ({"age_months": 12, "age": 3}, "age", "given twice"),
    ],
)
def test_bad_fields_are_named(
    kb: KnowledgeBase, profile: dict[str, Any], field: str, needle: str
) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_profile(profile, kb)
    assert exc.value.field == field
    assert needle in exc.value.message


def test_unknown_symptom_gets_suggestions(kb: KnowledgeBase) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_profile({"age_months": 12, "symptoms": ["droolling saliva", "scolosis"]}, kb)
    # "scolosis" is a small typo and resolves; the other is reported with suggestions.
    assert exc.value.field == "symptoms[0]"
    assert any("drool" in s.lower() for s in exc.value.suggestions)


def test_misspelt_field_gets_suggestions(kb: KnowledgeBase) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_profile({"age_months": 12, "symptom": ["drooling"]}, kb)
    assert exc.value.suggestions[0] == "symptoms"


def test_every_bad_field_is_reported_at_once(kb: KnowledgeBase) -> None:
    with pytest.raises(InvalidProfile) as exc:
        parse_profile({"age_months": -1, "sma_type": 9, "functional_status": "x"}, kb)
    assert [e.field for e in exc.value.errors] == ["age_months", "sma_type", "functional_status"]
    body = exc.value.to_dict()
    assert [e["field"] for e in body["errors"]] == ["age_months", "sma_type", "functional_status"]  # type: ignore[index, union-attr]
    assert "3 profile fields are not valid" in str(exc.value)


def test_not_a_mapping(kb: KnowledgeBase) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_profile(["age", 3], kb)  # type: ignore[arg-type]
    assert exc.value.field == "profile"


# --- invalid input never escapes as anything but InvalidInput ---------------------------
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = st.sampled_from(
    [
        "age_months",
        "age",
        "sma_type",
        "smn2_copies",
        "functional_status",
        "symptoms",
        "medications",
        "alcohol_use",
        "prior_treatments",
        "spinal_fusion",
        "type",
        "status",
        "bogus",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_FIELDS, _JSON, max_size=6))
def test_any_input_parses_or_raises_invalid_input(kb: KnowledgeBase, data: dict[str, Any]) -> None:
    try:
        p = parse_profile(data, kb)
    except InvalidInput as exc:
        assert exc.field and exc.message
    else:
        assert isinstance(p, Profile)


@settings(max_examples=150, deadline=None)
@given(
    field=st.sampled_from(["age_months", "sma_type", "smn2_copies", "functional_status"]),
    bad=st.one_of(
        st.integers(max_value=-1),
        st.integers(min_value=2000),
        st.sampled_from(["200y", "x", "-1", "type 7", "walking", [], {}, True]),
    ),
)
def test_a_bad_value_names_its_field(kb: KnowledgeBase, field: str, bad: object) -> None:
    data: dict[str, Any] = {"age_months": 30, "functional_status": "sitter", field: bad}
    with pytest.raises(InvalidInput) as exc:
        parse_profile(data, kb)
    assert exc.value.field == field


def test_any_medicine_name_is_accepted_and_unknown_ones_are_kept(kb: KnowledgeBase) -> None:
    """Issue 9: a medicine smanav does not know never blocks a plan; it is kept as typed."""
    p = parse_profile(
        {
            "age_months": 300,
            "medications": ["Cipro", "sertraline", "aspirin", "omeprazole", "drooling", "Valium"],
        },
        kb,
    )
    assert set(p.medications) == {"ciprofloxacin", "diazepam"}
    assert "sertraline" in p.unchecked_medications and "aspirin" in p.unchecked_medications
    assert "omeprazole" in p.unchecked_medications and "drooling" in p.unchecked_medications
    assert p.symptoms == ()  # aspirin is never read as the symptom aspiration


def test_alcohol_named_as_a_medicine_counts_as_alcohol_use(kb: KnowledgeBase) -> None:
    p = parse_profile({"age_months": 300, "medications": ["beer"]}, kb)
    assert p.alcohol_use and p.medications == ()


def test_a_typo_in_a_known_medicine_is_forgiven_but_never_jumps_to_another_drug(
    kb: KnowledgeBase,
) -> None:
    assert parse_profile({"age_months": 30, "medications": ["spinrasa"]}, kb).medications == (
        "nusinersen",
    )
    p = parse_profile({"age_months": 300, "medications": ["omeprazol"]}, kb)
    assert "alprazolam" not in p.medications


def test_new_profile_fields_are_normalised(kb: KnowledgeBase) -> None:
    p = parse_profile(
        {
            "age_months": "30y",
            "weight": "61.5 kg",
            "pregnancy": "Breastfeeding",
            "breathing_support": "night NIV",
            "feeding": "tube",
            "liver_disease": "yes",
            "kidney_disease": False,
            "region": "eu",
        },
        kb,
    )
    assert (p.weight_kg, p.pregnancy, p.breathing_support, p.feeding) == (
        61.5,
        "breastfeeding",
        "night-niv",
        "tube",
    )
    assert p.liver_disease and not p.kidney_disease and p.region == "EU"
    newborn = parse_profile(
        {"age_months": "1w", "sma_type": "presymptomatic", "smn2_copies": 2}, kb
    )
    assert newborn.sma_type == "presymptomatic"


@pytest.mark.parametrize(
    ("words", "field", "message"),
    [
        ("can't swallow", "symptom_words", "expected an object"),
        ({"dysphagia": ""}, "symptom_words['dysphagia']", "expected the words typed"),
        ({"dysphagia": 3}, "symptom_words['dysphagia']", "expected the words typed"),
        ({"drooling": "spit"}, "symptom_words['drooling']", "not one of the symptoms given"),
        ({"baclofen": "spit"}, "symptom_words['baclofen']", "not a symptom"),
    ],
)
def test_bad_symptom_words_name_the_field(
    kb: KnowledgeBase, words: object, field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_profile({"age_months": 12, "symptoms": ["dysphagia"], "symptom_words": words}, kb)
    assert exc.value.field == field and message in exc.value.message


def test_symptom_words_given_back_are_kept(kb: KnowledgeBase) -> None:
    p = parse_profile(
        {"age_months": 12, "symptoms": ["dysphagia"], "symptom_words": {"Dysphagia": "no swallow"}},
        kb,
    )
    assert p.symptom_words == {"dysphagia": "no swallow"}


@pytest.mark.parametrize("field", ["region", "pregnancy", "sma_type", "functional_status"])
def test_a_huge_bad_value_is_named_but_never_echoed_whole(field: str, kb: KnowledgeBase) -> None:
    """A 20,000-character region once came back whole in the 422 (found by the FHIR fuzz
    test): the message keeps the value's start and the advice at its end."""
    with pytest.raises(InvalidInput) as raised:
        parse_profile({"age_months": 12, field: "x" * 20_000}, kb)
    err = raised.value
    errors = getattr(err, "errors", None) or [err]
    message = next(e.message for e in errors if e.field == field)
    assert len(message) <= InvalidInput.MAX_MESSAGE + 60
    assert message.startswith("'xxx") and "characters left out" in message
    if field == "region":
        assert message.endswith("use US, EU")
