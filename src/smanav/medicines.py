"""Any medicine a family types, resolved the one way: checked when smanav knows it.

The open medication list (clinical-safety issue): a name smanav knows (through the one
name index), a name from the drug dictionary smanav ships with mapped to a concept when
smanav holds facts on that generic, or a small slip in a known name. Anything else is
kept as typed and listed in the plan as not checked, never rejected, never guessed.
"""

from __future__ import annotations

from .kb import KnowledgeBase
from .models import Concept, ConceptKind
from .names import NameIndex, norm_name

__all__ = ["CHECKED_KINDS", "resolve_medicine"]

#: Kinds a medicine typed by a family may be: its label facts are checked.
CHECKED_KINDS = frozenset(
    {
        ConceptKind.drug,
        ConceptKind.drug_class,
        ConceptKind.gene_therapy,
        ConceptKind.substance,
        ConceptKind.interaction_class,
    }
)


def resolve_medicine(kb: KnowledgeBase, name: str) -> tuple[Concept | None, str]:
    """A typed medicine → (the concept smanav checks it as, or None; the name to show).

    In order: a name smanav knows (generic, brand, synonym); the drug dictionary
    smanav ships with (generic names and brands: "Cipro" → ciprofloxacin), mapped to
    a concept when smanav holds facts on that generic; a small slip in a name smanav
    knows. Otherwise the name is kept as typed, to be listed as not checked.
    """
    shown = " ".join(name.split())
    key = norm_name(shown)
    by_id = kb.concepts.get(shown)  # a normalised profile given back
    if by_id is not None and by_id.kind in CHECKED_KINDS:
        return by_id, by_id.name
    index = NameIndex.for_kb(kb)
    found = index.lookup(shown)
    if found is not None and found.kind in CHECKED_KINDS:
        return found, shown
    from .extract.lexicon import drug_dictionary  # ~0.5 s once, only for unknown names

    entry = drug_dictionary().get(shown.casefold()) or drug_dictionary().get(key)
    if entry is not None:
        generic = entry[0]
        known = index.lookup(generic)
        if known is not None and known.kind in CHECKED_KINDS:
            return known, shown
        if norm_name(generic) != key:
            shown = f"{shown} ({generic.lower()})"
        return None, shown
    if found is None:
        close = _medicine_slip(index, shown)
        if close is not None:
            return close, shown
    return None, shown


def _medicine_slip(index: NameIndex, typed: str) -> Concept | None:
    """A medicine smanav knows, one slip away ("spinrasa"), by the index's typo rules;
    never a description ("oral medicine" names no medicine) and never alcohol."""
    for m in index.whole(typed):
        if m.via in ("lay", "lexicon", "hpo") and " " in m.text:
            continue
        c = index.concepts[m.concept]
        if c.kind in CHECKED_KINDS and c.id != "alcohol":
            return c
    return None
