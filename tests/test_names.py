"""`show` finds a concept by generic name, brand, synonym, everyday words or a small typo."""

from __future__ import annotations

import pytest

from smanav.errors import NotFound
from smanav.kb import KnowledgeBase

RESOLVES = [
    ("robinul", "glycopyrrolate"),
    ("Robinul", "glycopyrrolate"),
    ("glycopyrronium", "glycopyrrolate"),
    ("Zolgensma", "onasemnogene-abeparvovec"),
    ("ZOLGENSMA", "onasemnogene-abeparvovec"),
    ("Itvisma", "onasemnogene-abeparvovec-it"),
    ("nusinersen", "nusinersen"),
    ("spinraza", "nusinersen"),
    ("Evrysdi", "risdiplam"),
    ("AtroPen", "atropine"),
    ("stiff muscles", "spasticity"),
    ("too much saliva", "drooling"),
    ("sialorrhea", "drooling"),
    ("curved back", "scoliosis"),
    ("acid reflux", "gastroesophageal-reflux"),
    ("HP:0002650", "scoliosis"),
    ("baclofin", "baclofen"),
    ("tizanadine", "tizanidine"),
    ("benzodiazepine", "benzodiazepines"),
    ("muscle relaxant", "muscle-relaxants"),
    ("  Physical   Therapy ", "physical-therapy"),
    ("feeding tube", "feeding-tube"),
]


@pytest.mark.parametrize(("name", "expected"), RESOLVES)
def test_resolves(kb: KnowledgeBase, name: str, expected: str) -> None:
    assert kb.resolve(name).id == expected


@pytest.mark.parametrize(
    ("name", "suggestion"), [("zolgensmab gene", "Zolgensma"), ("bacloxyz", "baclofen")]
)
def test_unknown_name_suggests(kb: KnowledgeBase, name: str, suggestion: str) -> None:
    with pytest.raises(NotFound) as info:
        kb.resolve(name)
    joined = " ".join(info.value.suggestions).casefold()
    assert suggestion.casefold() in joined or info.value.suggestions


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "xq",
        "penicillin",
        "unicorn tears",
        # A different number is a different thing, never a typo: no SMA type 9, and
        # HP:0002651 is not scoliosis (HP:0002650).
        "sma type 9",
        "SMA type 5",
        "SMA5",
        "smn3",
        "HP:0002651",
    ],
)
def test_unknown_names_are_not_guessed(kb: KnowledgeBase, name: str) -> None:
    with pytest.raises(NotFound):
        kb.resolve(name)


def test_show_unknown_name_exits_2_with_suggestions(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("show", "baclofxn-zz")
    assert res.code == 2
    assert "Did you mean" in res.stderr or "not in the knowledge base" in res.stderr
