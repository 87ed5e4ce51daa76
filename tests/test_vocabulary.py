"""The intervention vocabulary and its grammar (issue 12): equipment, therapies and
procedures as well as drugs, named the ways families and clinicians write them; names
from the drug dictionary that are enzymes, lab markers or molecule classes are not
drugs unless a treatment context says so."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smanav.extract import extract_text
from smanav.extract.lexicon import slug
from smanav.extract.vocabulary import (
    grammar,
    plural_forms,
    singular,
    spelling_forms,
    term_variants,
    vocabulary,
)
from smanav.kb import KnowledgeBase
from smanav.models import CareDomain

INTERVENTIONS = {"drug", "drug_class", "gene_therapy", "device", "therapy", "procedure", "diet"}


def _mentions(text: str, kb: KnowledgeBase) -> list[dict[str, Any]]:
    return list(extract_text(text, kb)["mentions"])


def _found(text: str, kb: KnowledgeBase) -> dict[str, dict[str, Any]]:
    return {m["text"]: m for m in _mentions(text, kb)}


def test_every_term_has_a_kind_and_a_home(kb: KnowledgeBase) -> None:
    """Kinds are the issue's; a term names a knowledge-base concept or has a care
    domain, so accepting a proposed one never fails validation."""
    kinds = {"device", "therapy", "procedure", "drug", "drug_class", "gene_therapy", "diet"}
    domains = {d.value for d in CareDomain}
    for term in vocabulary()["terms"]:
        assert term["kind"] in kinds | {"vaccine"}, term["name"]
        if term.get("concept"):
            assert term["concept"] in kb.concepts, term["name"]
        else:
            assert term.get("domain") in domains, term["name"]
    for rule in grammar().rules:
        assert rule.kind in kinds and rule.domain in domains


@pytest.mark.parametrize(
    ("text", "surface", "kind"),
    [
        ("She sleeps in a body jacket.", "body jacket", "device"),
        ("A scoliosis brace was fitted.", "scoliosis brace", "device"),
        ("He uses standers and a walker at school.", "standers", "device"),
        ("Cough assist helps clear mucus.", "Cough assist", "device"),
        (
            "Mask or mouthpiece breathing support at night.",
            "mouthpiece breathing support",
            "procedure",
        ),
        ("BiPAP is used during sleep.", "BiPAP", "procedure"),
        ("A nasojejunal tube was placed.", "nasojejunal tube", "device"),
        ("Daily stretching keeps joints supple.", "stretching", "therapy"),
        ("Aerobic exercise is safe for walkers.", "Aerobic exercise", "therapy"),
        ("Pulmonary rehabilitation may help.", "Pulmonary rehabilitation", "therapy"),
        ("A Nissen fundoplication reduces reflux.", "Nissen fundoplication", "procedure"),
        ("General anaesthetic carries risks.", "General anaesthetic", "procedure"),
        ("Corticosteroids protect the liver.", "Corticosteroids", "drug_class"),
        ("Get the flu vaccine every year.", "flu vaccine", "drug"),
        ("Seating systems support posture.", "Seating systems", "device"),
    ],
)
def test_equipment_therapies_and_procedures_are_found(
    kb: KnowledgeBase, text: str, surface: str, kind: str
) -> None:
    found = _found(text, kb)
    assert surface in found, sorted(found)
    assert found[surface]["kind"] == kind


def test_british_and_american_spellings_and_plurals_are_one_concept(kb: KnowledgeBase) -> None:
    a = _found("Orthopaedic surgery was planned.", kb)["Orthopaedic surgery"]
    b = _found("Two orthopedic surgeries were planned.", kb)["orthopedic surgeries"]
    assert a["concept"] == b["concept"]
    assert {"orthoses", "therapies", "braces"} <= {
        *plural_forms("orthosis"),
        *plural_forms("therapy"),
        *plural_forms("brace"),
    }
    assert "anesthesia" in {s.lower() for s in spelling_forms("anaesthesia")}
    assert singular("orthoses") == "orthosis" and singular("braces") == "brace"


def test_a_term_names_the_knowledge_base_concept_it_restates(kb: KnowledgeBase) -> None:
    found = _found("She wears a spinal jacket; he uses a power chair.", kb)
    assert found["spinal jacket"]["concept"] == "back-brace"
    assert found["power chair"]["concept"] == "wheelchair"
    assert not found["spinal jacket"]["new"]


def test_the_grammar_names_unseen_combinations(kb: KnowledgeBase) -> None:
    """A modified head listed nowhere is one proposed concept in a normalised form."""
    found = _found("A thoracolumbar brace and moulded night splints were made.", kb)
    brace = found["thoracolumbar brace"]
    assert (brace["kind"], brace["new"], brace["concept"]) == (
        "device",
        True,
        "thoracolumbar-brace",
    )
    splints = found["moulded night splints"]
    assert splints["concept"] == "molded-night-splint"
    assert found.keys() >= {"thoracolumbar brace", "moulded night splints"}


def test_assisted_x_and_breathing_phrases(kb: KnowledgeBase) -> None:
    found = _found("Manually assisted coughing and ventilatory support at home.", kb)
    assert found["Manually assisted coughing"]["kind"] == "therapy"
    assert found["ventilatory support"]["concept"] == "ventilation"


def test_an_acronym_in_brackets_stays_in_the_phrase(kb: KnowledgeBase) -> None:
    found = _found("A nasogastric (NG) tube goes into the stomach.", kb)
    assert found["nasogastric (NG) tube"]["kind"] == "device"


def test_a_phrase_never_spans_a_sentence_break(kb: KnowledgeBase) -> None:
    texts = {m["text"] for m in _mentions("Aids can be invasive. Ventilation helps.", kb)}
    assert "invasive. Ventilation" not in texts
    assert "Ventilation" in texts


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["chest", "neck", "knee", "ankle", "spinal", "night", "scoliosis"]),
    st.sampled_from(["brace", "braces", "splint", "splints", "orthosis", "orthoses"]),
    st.sampled_from(["A", "Her", "The new"]),
)
def test_any_modified_device_is_one_device_mention(
    kb: KnowledgeBase, modifier: str, head: str, start: str
) -> None:
    phrase = f"{modifier} {head}"
    mentions = _mentions(f"{start} {phrase} was fitted last week.", kb)
    hit = [m for m in mentions if phrase in m["text"]]
    assert hit, mentions
    assert hit[0]["kind"] == "device"
    assert start.lower() not in hit[0]["text"].lower().split()


@pytest.mark.parametrize(
    "text",
    [
        "Aspartate aminotransferase, alanine aminotransferase and gamma-glutamyl "
        "transpeptidase were raised; troponin-I was normal.",
        "Elevated aminotransferases and transaminases were reported.",
        "The oligonucleotide binds mRNA; immunoglobulin and monoclonal antibody levels.",
        "Breathing out carbon dioxide needs little strength; low oxygen levels at night.",
    ],
)
def test_markers_enzymes_and_molecule_classes_are_not_drugs(kb: KnowledgeBase, text: str) -> None:
    kinds = [(m["text"], m["kind"]) for m in _mentions(text, kb) if m["kind"] in INTERVENTIONS]
    assert kinds == []


def test_a_treatment_context_keeps_a_substance(kb: KnowledgeBase) -> None:
    found = _found(
        "She was given oxygen. It may call for eculizumab-type monoclonal antibodies.", kb
    )
    assert found["oxygen"]["concept"] == "oxygen-therapy"
    assert "monoclonal antibodies" in found and "eculizumab" in found
    treated = _found("He was treated with intravenous immunoglobulin.", kb)
    assert any("immunoglobulin" in t for t in treated)


def test_functional_groups_are_not_devices(kb: KnowledgeBase) -> None:
    text = "Non-sitters, sitters and walkers need different care. A walker helps him."
    devices = [m for m in _mentions(text, kb) if m["kind"] == "device"]
    assert [m["text"] for m in devices] == ["walker"]


def test_variants_of_every_term_are_generated() -> None:
    term = {"name": "Night splint", "variants": ["resting splint"]}
    assert {"Night splint", "Night splints", "resting splint", "resting splints"} <= term_variants(
        term
    )
    assert slug("Molded night splint") == "molded-night-splint"
