"""Editors' aid: turn an exact passage of a corpus article into an evidence locator.

    python scripts/locate.py smant-treatment "exact words from the article"

prints `{source: ..., start: ..., end: ..., sha256: ...}` for a data file, so the
curated data carries offsets and hashes, never the words themselves. The phrase
must occur exactly once (pass --nth N to pick an occurrence).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from smanav.kb import load_curated, span_sha256  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("phrase")
    ap.add_argument("--nth", type=int, default=None)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    args = ap.parse_args()
    src = load_curated().sources[args.source]
    assert src.file, f"{args.source} has no text"
    text = (args.corpus / src.file).read_text(encoding="utf-8")
    hits = []
    i = text.find(args.phrase)
    while i >= 0:
        hits.append(i)
        i = text.find(args.phrase, i + 1)
    if not hits:
        sys.exit(f"not found in {src.file}: {args.phrase!r}")
    if len(hits) > 1 and args.nth is None:
        sys.exit(f"{len(hits)} occurrences at {hits}; pass --nth")
    start = hits[(args.nth or 1) - 1]
    end = start + len(args.phrase)
    print(
        f"{{source: {src.id}, start: {start}, end: {end}, sha256: {span_sha256(text[start:end])}}}"
    )


if __name__ == "__main__":
    main()
