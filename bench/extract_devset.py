"""Intervention mentions on the development set of public SMA texts (bench/devset/).

    python bench/extract_devset.py              # scores, overall and by kind
    python bench/extract_devset.py --misses     # also every miss and false alarm
    python bench/extract_devset.py --json out.json
    python bench/extract_devset.py --heldout    # bench/heldout: annotated after the tuning
    python bench/extract_devset.py --founding   # the founding articles (tests/gold)

The gold (bench/devset/gold.yaml) lists surfaces with a kind per text; every
case-insensitive, word-bounded occurrence is a gold mention, longest first, never
overlapping. A predicted mention of an intervention kind matches a gold mention whose
span it overlaps. The founding articles (tests/gold) are scored the same way with
`--founding`, so both sets are measured by one definition.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from smanav.extract.score import prf

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "bench" / "devset"
#: Texts gathered and annotated after the tuning, scored once: the out-of-sample check.
HELDOUT = ROOT / "bench" / "heldout"
CORPUS = Path(os.environ.get("SMANAV_SHARED") or ROOT.parent / "shared") / "corpus"
GOLD = ROOT / "tests" / "gold"
#: Kinds of the extractor that are interventions (models.INTERVENTION_KINDS plus vaccine).
PREDICTED_KINDS = {
    "drug",
    "drug_class",
    "gene_therapy",
    "device",
    "therapy",
    "procedure",
    "diet",
    "vaccine",
}


def _pattern(surface: str) -> re.Pattern[str]:
    """Word-bounded, any whitespace between words; a glued footnote digit may follow."""
    words = [re.escape(w) for w in surface.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?![^\W\d_])", re.IGNORECASE)


def gold_mentions(text: str, entries: list[list[str]]) -> list[dict[str, Any]]:
    """Every occurrence of every listed surface, longest surface first, no overlaps."""
    taken = bytearray(len(text))
    out: list[dict[str, Any]] = []
    for surface, kind in sorted(entries, key=lambda e: -len(e[0])):
        for m in _pattern(surface).finditer(text):
            if any(taken[m.start() : m.end()]):
                continue
            taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
            if kind != "none":
                out.append({"start": m.start(), "end": m.end(), "kind": kind, "text": m.group()})
    return sorted(out, key=lambda g: g["start"])


def load_devset(folder: Path = DEVSET) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(file name, text, gold mentions) for every text of the manifest."""
    manifest = yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8"))
    gold = yaml.safe_load((folder / "gold.yaml").read_text(encoding="utf-8"))
    out = []
    for item in manifest["texts"]:
        name = item["file"]
        text = (folder / "texts" / name).read_text(encoding="utf-8")
        out.append((name, text, gold_mentions(text, gold[name])))
    return out


def load_founding() -> list[tuple[str, str, list[dict[str, Any]]]]:
    """The founding articles with their gold intervention mentions (tests/gold)."""
    out = []
    for g in sorted(GOLD.glob("*.json")):
        doc = json.loads(g.read_text(encoding="utf-8"))
        path = next(CORPUS.glob(g.stem.split("_")[0] + "_*.txt"))
        text = path.read_text(encoding="utf-8")
        mentions = [m for m in doc["mentions"] if m["kind"] in PREDICTED_KINDS]
        out.append((path.name, text, mentions))
    return out


def score_set(
    docs: list[tuple[str, str, list[dict[str, Any]]]], predicted: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """Overlap-matched intervention mentions: overall, recall by gold kind, and the errors."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    misses: list[dict[str, Any]] = []
    alarms: list[dict[str, Any]] = []
    for name, _text, gold in docs:
        preds = [m for m in predicted[name] if m["kind"] in PREDICTED_KINDS]
        used: set[int] = set()
        for g in gold:
            hit = next(
                (
                    i
                    for i, m in enumerate(preds)
                    if i not in used and m["start"] < g["end"] and g["start"] < m["end"]
                ),
                None,
            )
            kind = {"drug_class": "drug", "gene_therapy": "drug"}.get(g["kind"], g["kind"])
            if hit is None:
                counts[kind][2] += 1
                counts["all"][2] += 1
                misses.append({"file": name, "text": g.get("text", ""), "kind": kind})
            else:
                used.add(hit)
                counts[kind][0] += 1
                counts["all"][0] += 1
        for i, m in enumerate(preds):
            if i not in used:
                counts["all"][1] += 1
                alarms.append({"file": name, "text": m["text"], "kind": m["kind"]})
    return {
        "scores": {k: prf(*v) for k, v in sorted(counts.items())},
        "misses": misses,
        "false_alarms": alarms,
    }


def run(founding: bool = False, heldout: bool = False) -> dict[str, Any]:
    """Extract every text of the set with the installed package and score it."""
    from smanav.extract import extract_text, lexicon
    from smanav.store import open_kb

    kb = open_kb()
    lex = lexicon(kb)
    docs = load_founding() if founding else load_devset(HELDOUT if heldout else DEVSET)
    predicted = {name: extract_text(text, lex)["mentions"] for name, text, _g in docs}
    return {"texts": len(docs), **score_set(docs, predicted)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--founding", action="store_true", help="score the founding articles instead")
    ap.add_argument("--heldout", action="store_true", help="score the held-out texts instead")
    ap.add_argument("--misses", action="store_true", help="list misses and false alarms")
    ap.add_argument("--json", type=Path, help="write the result as JSON")
    args = ap.parse_args(argv)
    res = run(args.founding, args.heldout)
    name = (
        "founding articles"
        if args.founding
        else "held-out set"
        if args.heldout
        else "development set"
    )
    print(f"{res['texts']} texts ({name})")
    print(f"{'kind':<10} {'tp':>4} {'fp':>4} {'fn':>4} {'P':>6} {'R':>6} {'F1':>6}")
    for k, v in res["scores"].items():
        cells = [f"{v[c]:>4}" for c in ("tp", "fp", "fn")]
        cells += [f"{v[c]:>6}" for c in ("precision", "recall", "f1")]
        print(f"{k:<10} " + " ".join(cells))
    if args.misses:
        for m in res["misses"]:
            print(f"MISS  {m['file']:<42} {m['kind']:<9} {m['text']!r}")
        for m in res["false_alarms"]:
            print(f"FALSE {m['file']:<42} {m['kind']:<9} {m['text']!r}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
