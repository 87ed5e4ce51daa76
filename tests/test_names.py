"""`show` finds a concept by generic name, brand, synonym, everyday words or a small typo."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    assert info.value.suggestions[0].casefold() == suggestion.casefold()


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
    assert "'baclofxn-zz' is not in the knowledge base" in res.stderr
    assert "Did you mean: Baclofen?" in res.stderr
    assert "Traceback" not in res.stderr


# --- One name index: every front door accepts the same names (issue 13) -------------
def _typo(word: str) -> str:
    """One edit in the middle of a word: neighbours swapped, or a letter dropped."""
    i = len(word) // 2 - 1
    if word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i + 1 :]


def _table_names(kb: KnowledgeBase, typos: bool) -> list[str]:
    """Every name, synonym, brand and lay term of every concept, every lexicon phrase,
    and (`typos`) one typo of each word of four or more letters in each of them."""
    from smanav.names import load_lexicon

    names: list[str] = []
    for c in kb.concepts.values():
        names += c.all_names
    for entry in load_lexicon():
        names += entry.phrases
    slips = []
    for name in names if typos else []:
        toks = name.split()
        for i, tok in enumerate(toks):
            if len(tok) >= 4 and tok.isalpha():
                slips.append(" ".join([*toks[:i], _typo(tok), *toks[i + 1 :]]))
    return list(dict.fromkeys(names + slips))


def _front_doors(kb: KnowledgeBase, name: str, ask_too: bool) -> dict[str, object]:
    """What show, search, ask, plan (symptom, treatment, medicine) and the wizard make of
    one typed name: a concept id, or ("refused", suggestions)."""
    from smanav.browse import show_concept
    from smanav.errors import InvalidInput
    from smanav.medicines import resolve_medicine
    from smanav.names import whole_name
    from smanav.plan import parse_profile
    from smanav.search import ask
    from smanav.search.retrieve import find
    from smanav.web.wizard import form_to_profile, form_values

    out: dict[str, object] = {}
    try:
        out["show"] = show_concept(kb, name)["concept"]
    except NotFound as exc:
        out["show"] = ("refused", exc.suggestions)
    found = whole_name(name, find(name, kb, dense=False).mentions)
    out["search"] = found[0].concept if found else "refused"
    if ask_too:
        answer = ask(name, kb, dense=False)
        out["ask"] = answer["concepts"][0]["concept"] if answer["concepts"] else "refused"
    for field in ("symptoms", "prior_treatments"):
        try:
            got = parse_profile({"age": "3y", field: [name]}, kb)
            out[field] = getattr(got, field)[0]
        except InvalidInput as exc:
            out[field] = ("refused", exc.suggestions)
    if name.strip() and "," not in name and ";" not in name:  # the box takes a list
        values = form_values({"age": "3y", "other_symptoms": name})
        try:
            out["wizard"] = parse_profile(form_to_profile(values), kb).symptoms[0]
        except InvalidInput as exc:
            out["wizard"] = ("refused", exc.suggestions)
    concept, _shown = resolve_medicine(kb, name)
    out["medicine"] = concept.id if concept else "not checked"
    return out


def _disagreements(kb: KnowledgeBase, name: str, ask_too: bool = True) -> list[str]:
    """How the front doors disagree about one name, in words (empty: they agree)."""
    from smanav.medicines import CHECKED_KINDS
    from smanav.models import INTERVENTION_KINDS
    from smanav.names import NameIndex

    index = NameIndex.for_kb(kb)
    means = index.candidates(name)
    doors = _front_doors(kb, name, ask_too)
    bad: list[str] = []

    def expect(door: str, want: object) -> None:
        if door in doors and doors[door] != want:
            bad.append(f"{name!r}: {door} gives {doors[door]!r}, expected {want!r}")

    if not means:
        expect("show", ("refused", index.suggest(name)))
        expect("search", "refused")
        for field, kinds in (("symptoms", {"symptom"}), ("prior_treatments", INTERVENTION_KINDS)):
            expect(field, ("refused", index.suggest(name, kinds)))
        expect("wizard", doors.get("symptoms"))
        return bad
    first = means[0]
    expect("show", first.id)
    expect("search", first.id)
    expect("ask", first.id)
    symptom = next((c.id for c in means if c.kind == "symptom"), None)
    if symptom is not None:
        expect("symptoms", symptom)
        expect("wizard", symptom)
    else:
        assert isinstance(doors["symptoms"], tuple), (name, doors)
        expect("wizard", doors["symptoms"])
    treatment = next((c.id for c in means if c.kind in INTERVENTION_KINDS), None)
    if treatment is not None and treatment != "alcohol":
        expect("prior_treatments", treatment)
    medicine = next((c for c in means if c.kind in CHECKED_KINDS), None)
    described = " " in name and index.lookup(name) is None  # "oral medicine" names nothing
    if medicine is not None and medicine.id != "alcohol" and not described:
        expect("medicine", medicine.id)
    return bad


def test_every_front_door_accepts_the_same_names(kb: KnowledgeBase) -> None:
    """show, search, plan (--symptom, prior treatments, --medicine) and the wizard read
    every name, synonym, brand, lay term and lexicon phrase as the same one thing (ask:
    every concept's own names; the slow run asks them all, typos included)."""
    own = {n for c in kb.concepts.values() for n in c.all_names}
    names = _table_names(kb, typos=False)
    assert len(names) > 800
    bad = [line for name in names for line in _disagreements(kb, name, name in own)]
    assert not bad, f"{len(bad)} disagreements:\n" + "\n".join(bad[:40])


@pytest.mark.slow
def test_every_front_door_reads_every_typo_alike(kb: KnowledgeBase) -> None:
    """The whole table, a one-edit typo of every word of four or more letters included,
    through every front door (ask too): all give the same concept, or all refuse with
    the same suggestions."""
    names = _table_names(kb, typos=True)
    assert len(names) > 2000
    bad = [line for name in names for line in _disagreements(kb, name)]
    assert not bad, f"{len(bad)} disagreements:\n" + "\n".join(bad[:40])


# --- The README's phrases, at every front door ---------------------------------------
@pytest.mark.parametrize(
    ("name", "concept", "shown"),
    [
        ("too much spit", "excess-saliva", "Excessive saliva production"),
        ("type 2", "sma-type-2", "SMA type 2"),
        ("Type II", "sma-type-2", "SMA type 2"),
        ("SMA III", "sma-type-3", "SMA type 3"),
    ],
)
def test_show_accepts_what_search_understands(cli, name: str, concept: str, shown: str) -> None:  # type: ignore[no-untyped-def]
    res = cli("show", name, "--json")
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["concept"] == concept
    found = json.loads(cli("search", name, "--json").stdout)["recognised"]
    assert found[0]["concept"] == concept
    assert cli("show", name).stdout.startswith(shown)


def test_plan_accepts_too_much_spit(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("plan", "--age", "3y", "--symptom", "too much spit", "--json")
    assert res.code == 0, res.stderr
    profile = json.loads(res.stdout)["profile"]
    assert profile["symptoms"] == ["excess-saliva"]
    assert profile["symptom_words"] == {"excess-saliva": "too much spit"}


def test_wizard_accepts_too_much_spit(kb: KnowledgeBase) -> None:
    from smanav.web.wizard import plan_from_form

    plan, state = plan_from_form(kb, {"age": "3y", "other_symptoms": "too much spit"})
    assert plan is not None, state["errors"]
    assert plan["profile"]["symptoms"] == ["excess-saliva"]


def test_a_symptom_field_refuses_a_drug_with_symptom_suggestions(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("plan", "--age", "3y", "--symptom", "baclofen")
    assert res.code == 2
    assert "'baclofen' is Baclofen, a drug, not a symptom" in res.stderr
    assert "Traceback" not in res.stderr


def test_symptom_suggestions_are_symptoms_closest_first(kb: KnowledgeBase) -> None:
    from smanav.errors import InvalidInput
    from smanav.plan import parse_profile

    with pytest.raises(InvalidInput) as info:
        parse_profile({"age": "3y", "symptoms": ["drooolling zz"]}, kb)
    names = info.value.suggestions
    assert names[0] == "Drooling"
    assert all(kb.resolve(n).kind == "symptom" for n in names)


def test_domain_suggestions_are_ranked_by_closeness(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("treatments", "--domain", "breething")
    assert res.code == 2
    assert "Did you mean: breathing?" in res.stderr
    # Nothing close: every domain is listed, so the person sees what there is.
    res = cli("treatments", "--domain", "xyzzy")
    assert res.code == 2
    assert "disease-modifying" in res.stderr and "spine" in res.stderr


def test_a_medicine_described_in_lay_words_is_not_checked_as_one(kb: KnowledgeBase) -> None:
    """ "oral medicine" is a phrase the lexicon reads as risdiplam in a question; as a
    medicine someone takes it names nothing, so it is listed as not checked."""
    from smanav.medicines import resolve_medicine

    assert kb.resolve("oral medicine").id == "risdiplam"
    assert resolve_medicine(kb, "oral medicine") == (None, "oral medicine")
    concept, _shown = resolve_medicine(kb, "spinrasa")
    assert concept is not None and concept.id == "nusinersen"


@pytest.mark.parametrize("name", ["sma type 9", "SMA5", "HP:0002651", "cure"])
def test_typo_guards_hold_at_every_front_door(kb: KnowledgeBase, name: str) -> None:
    """A different number is no typo, and neither is a word the sources use."""
    assert _disagreements(kb, name) == []
    with pytest.raises(NotFound):
        kb.resolve(name)


def test_the_index_is_built_once_per_knowledge_base_and_let_go_with_it(db_path) -> None:  # type: ignore[no-untyped-def]
    import gc
    import weakref

    from smanav.names import NameIndex
    from smanav.store import open_store

    with open_store(db_path) as store:
        kb = KnowledgeBase.from_store(store)
    index = NameIndex.for_kb(kb)
    assert NameIndex.for_kb(kb) is index
    assert kb.resolve("too much spit").id == "excess-saliva"
    gone = weakref.ref(index)
    del kb, index
    gc.collect()
    assert gone() is None


def test_a_word_the_sources_use_is_never_read_as_a_typo(kb: KnowledgeBase) -> None:
    """A knowledge base with no file: the index asks an in-memory FTS5 copy of its texts."""
    base = kb

    def in_memory(texts: dict[str, str]) -> KnowledgeBase:
        return KnowledgeBase(base.sources, base.concepts, base.assertions, base.name_rows, texts)

    assert in_memory({"a": "Nothing about it here."}).resolve("baclofin").id == "baclofen"
    with pytest.raises(NotFound):
        in_memory({"a": "Baclofin is a word this source uses."}).resolve("baclofin")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.text(max_size=40),
        st.sampled_from(["too much spit", "type 2", "Spinraza", "curved back", "droolng"]).map(
            lambda s: s.upper()
        ),
        st.text(alphabet="abcdefghilmnoprstuvy ", min_size=3, max_size=25),
    )
)
def test_any_text_is_read_alike_or_refused_alike(kb: KnowledgeBase, text: str) -> None:
    """Whatever is typed, every front door gives the same concept or refuses (exit 2 /
    422, with the same suggestions), never an error of its own."""
    assert _disagreements(kb, text, ask_too=False) == []
