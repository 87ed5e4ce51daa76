"""The medspaCy peer for bench/extract.py, run in its own venv (medspaCy pins spaCy 3.7.5):

    python3 -m venv ../venv-peer && ../venv-peer/bin/pip install medspacy==1.3.1

Reads {"rules": [[literal, label], ...], "texts": [...], "rounds": N} on stdin; writes
{"setup_s", "seconds", "chars", "mentions": [[text_index, start, end, label], ...]}.
Fastest configuration (../shared/dependencies.md): the TargetMatcher alone (no PyRuSH
sentence splitter, no ConText), phrase rules matched on LOWER, texts through nlp.pipe.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    import medspacy
    from medspacy.target_matcher import TargetRule

    job = json.load(sys.stdin)
    t0 = time.perf_counter()
    nlp = medspacy.load(medspacy_enable=["medspacy_target_matcher"])
    matcher = nlp.get_pipe("medspacy_target_matcher")
    matcher.add([TargetRule(literal, label) for literal, label in job["rules"]])
    setup = time.perf_counter() - t0
    texts = job["texts"]
    mentions = [
        [i, ent.start_char, ent.end_char, ent.label_]
        for i, doc in enumerate(nlp.pipe(texts))
        for ent in doc.ents
    ]
    t0 = time.perf_counter()
    for _ in range(job["rounds"]):
        for _doc in nlp.pipe(texts):
            pass
    seconds = time.perf_counter() - t0
    chars = sum(map(len, texts)) * job["rounds"]
    json.dump(
        {"setup_s": setup, "seconds": seconds, "chars": chars, "mentions": mentions}, sys.stdout
    )


if __name__ == "__main__":
    main()
