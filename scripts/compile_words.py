"""Compile the English word list the word breaker uses to leave ordinary words whole.

Source: SCOWL (Kevin Atkinson), as Debian's `wamerican` package installs it at
/usr/share/dict/american-english; its licence allows copying with the notice
kept, which the output carries. Run again to refresh:
    apt-get install wamerican && python scripts/compile_words.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

SRC = Path("/usr/share/dict/american-english")
OUT = Path(__file__).resolve().parents[1] / "src" / "smanav" / "data" / "english_words.json"


def main() -> None:
    words = sorted(
        {
            w.lower()
            for w in SRC.read_text(encoding="utf-8").split()
            if re.fullmatch(r"[A-Za-z]+", w)
        }
    )
    data = {
        "source": "SCOWL word list (Debian wamerican, size 50), lower-cased, letters only",
        "notice": (
            "Copyright 2000-2011 by Kevin Atkinson. Permission to use, copy, modify, distribute "
            "and sell these word lists, the associated scripts, the output created from the "
            "scripts, and its documentation for any purpose is hereby granted without fee, "
            "provided that the above copyright notice appears in all copies and that both that "
            "copyright notice and this permission notice appear in supporting documentation. "
            "Kevin Atkinson makes no representations about the suitability of this array for "
            "any purpose. It is provided 'as is' without express or implied warranty."
        ),
        "words": " ".join(words),
    }
    OUT.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(words)} words to {OUT} ({OUT.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
