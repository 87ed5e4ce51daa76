"""Label safety facts (shared/facts/labels.md): cited to real headings, in our own words.

Every fact whose evidence section starts with "labels.md §N" must name a heading that
labels.md has; no value may copy a run of 7 words from labels.md or the care-standard
notes; every medicine has side effects and an eligibility with a region (and its boxed
warning where the labels give one); the founding-article statements that a label or the
care standards contradict carry `contested_by`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import need_shared
from smanav.kb import load_curated
from smanav.models import ConceptKind, Predicate

DATA = load_curated()
SECTION = re.compile(r"^labels\.md §(\d+[a-z]?) (.+)$")

LABEL_FACTS = sorted(
    (aid, a)
    for aid, a in DATA.assertions.items()
    if any((ev.section or "").startswith("labels.md") for ev in a.evidence)
)

#: Medicines whose labels.md section gives a US boxed warning.
BOXED = {
    "onasemnogene-abeparvovec",
    "benzodiazepines",
    "diazepam",
    "alprazolam",
    "clonazepam",
    "amitriptyline",
    "metformin",
    "baclofen",
}

#: Medicines for which labels.md gives no approved use to state an age and region for.
NO_ELIGIBILITY = {
    "atropine": "no atropine product is approved for drooling (labels.md §10)",
}

#: Founding-article statements that a label or the care standards contradict.
CONTESTED = [
    "sma-has-symptom-spasticity",
    "non-invasive-ventilation-definition",
    "non-invasive-ventilation-short-term",
    "muscle-relaxants-mechanism-hormonal-signalling",
    "back-brace-addresses-scoliosis",
    "glycopyrrolate-may-address-drooling",
    "amitriptyline-may-address-drooling",
    "atropine-may-address-drooling",
    "atropine-definition",
]


def _facts_file(name: str) -> Path:
    return need_shared(f"facts/{name}")


@pytest.fixture(scope="module")
def labels_md() -> str:
    return _facts_file("labels.md").read_text(encoding="utf-8")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold())


def _headings(text: str) -> dict[str, list[str]]:
    """Section number ("4", "5a") -> the words of its heading title."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        m = re.match(r"^#{2,3} (\d+[a-z]?)\. (.+)$", line)
        if m:
            out[m.group(1)] = _words(m.group(2))
    return out


def test_there_are_label_facts() -> None:
    assert len(LABEL_FACTS) > 100


def test_sections_name_a_labels_md_heading(labels_md: str) -> None:
    headings = _headings(labels_md)
    for aid, a in LABEL_FACTS:
        for ev in a.evidence:
            section = ev.section or ""
            if not section.startswith("labels.md"):
                continue
            m = SECTION.match(section)
            assert m, f"{aid}: section {section!r} does not read 'labels.md §N heading — part'"
            number, rest = m.groups()
            assert number in headings, f"{aid}: labels.md has no section §{number}"
            title = rest.rsplit(" — ", 1)[0] if " — " in rest else rest
            words = _words(title)
            assert words and headings[number][: len(words)] == words, (
                f"{aid}: {title!r} is not the heading of labels.md §{number}"
            )


def test_label_facts_carry_their_check_date() -> None:
    for aid, a in LABEL_FACTS:
        assert a.as_of is not None, f"{aid} has no as_of"


def _wordy(gram: tuple[str, ...]) -> bool:
    """Numbers, ages and gene names (anything with a digit) may be reproduced."""
    return sum(not any(ch.isdigit() for ch in w) for w in gram) >= 5


@pytest.mark.shared
@pytest.mark.parametrize("name", ["labels.md", "standards-of-care.md"])
def test_no_value_copies_seven_words(name: str) -> None:
    words = _words(_facts_file(name).read_text(encoding="utf-8"))
    n = 7
    grams = {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}
    for aid, a in DATA.assertions.items():
        w = _words(a.value or "")
        runs = (tuple(w[i : i + n]) for i in range(len(w) - n + 1))
        copied = [g for g in runs if g in grams and _wordy(g)]
        assert not copied, f"{aid} copies {name}: {' '.join(copied[0])!r}"


def _medicines() -> list[str]:
    kinds = {ConceptKind.drug, ConceptKind.gene_therapy}
    return sorted(cid for cid, c in DATA.concepts.items() if c.kind in kinds)


def _about(cid: str, predicate: Predicate) -> list:  # type: ignore[type-arg]
    return [a for a in DATA.assertions.values() if a.subject == cid and a.predicate == predicate]


@pytest.mark.parametrize("cid", _medicines())
def test_every_medicine_has_label_side_effects(cid: str) -> None:
    label_ids = {aid for aid, _ in LABEL_FACTS}
    rows = [a for a in _about(cid, Predicate.side_effect) if a.id in label_ids]
    assert rows, f"{cid} has no side_effect from labels.md"


@pytest.mark.parametrize("cid", _medicines())
def test_every_medicine_has_a_regional_eligibility(cid: str) -> None:
    rows = [a for a in _about(cid, Predicate.eligibility) if a.qualifiers.region]
    if cid in NO_ELIGIBILITY:  # the documented exception holds, rather than a skip
        assert not rows, f"{cid} now has a regional eligibility: {NO_ELIGIBILITY[cid]} is stale"
    else:
        assert rows, f"{cid} has no eligibility with a region"


@pytest.mark.parametrize("cid", sorted(BOXED))
def test_boxed_warnings_are_recorded(cid: str) -> None:
    rows = _about(cid, Predicate.boxed_warning)
    assert rows and all(a.qualifiers.region == "US" for a in rows), cid


def test_an_unconfirmed_boxed_warning_is_not_known_not_fact() -> None:
    assert not _about("onasemnogene-abeparvovec-it", Predicate.boxed_warning)
    assert any(
        "boxed warning" in (a.value or "")
        for a in _about("onasemnogene-abeparvovec-it", Predicate.not_known)
    )


@pytest.mark.parametrize("aid", CONTESTED)
def test_contested_statements_point_at_corrections(aid: str) -> None:
    a = DATA.assertions[aid]
    assert a.contested_by, f"{aid} has no contested_by"
    for cid in a.contested_by:
        assert cid in DATA.assertions, f"{aid}: {cid} is not an assertion"
        assert cid != aid


def test_every_contested_by_points_at_an_assertion() -> None:
    for aid, a in DATA.assertions.items():
        for cid in a.contested_by:
            assert cid in DATA.assertions, f"{aid}: contested_by {cid!r} does not exist"


def test_interaction_and_contraindication_objects_exist() -> None:
    preds = {Predicate.interaction, Predicate.contraindication, Predicate.member_of_class}
    for aid, a in DATA.assertions.items():
        if a.predicate in preds and a.object is not None:
            assert a.object in DATA.concepts, f"{aid}: unknown object {a.object!r}"


def test_interactions_say_what_to_do() -> None:
    for aid, a in DATA.assertions.items():
        if a.predicate == Predicate.interaction:
            assert a.object is not None, f"{aid} names no medicine or class"
            assert a.qualifiers.effect is not None, f"{aid} has no effect"


def test_every_interaction_class_has_members() -> None:
    classes = [cid for cid, c in DATA.concepts.items() if c.kind == ConceptKind.interaction_class]
    assert len(classes) == 8
    for cid in classes:
        members = [
            a
            for a in DATA.assertions.values()
            if a.predicate == Predicate.member_of_class and a.object == cid
        ]
        assert members, f"{cid} has no members"


def test_pregnancy_facts_name_their_topic() -> None:
    for aid, a in DATA.assertions.items():
        if a.predicate == Predicate.pregnancy:
            assert a.qualifiers.topic is not None, f"{aid} has no topic"


def test_secondary_only_label_facts_cite_a_secondary_source() -> None:
    """A fact whose value says it rests on a secondary source cites one."""
    for aid, a in LABEL_FACTS:
        if "secondary source" in (a.value or "") or "secondary summary" in (a.value or ""):
            grades = {DATA.sources[ev.source].grade for ev in a.evidence}
            assert "secondary" in grades, aid
