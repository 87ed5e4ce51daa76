"""Search and cited answers over the knowledge base and its sources.

`search(query, kb)` ranks passages and concepts (FTS5 BM25, concept expansion through
names, brands, synonyms, HPO terms and a lay-term lexicon, optional dense retrieval,
reciprocal rank fusion); `ask(question, kb)` answers with knowledge-base statements
and their cited passages, and says plainly when nothing answers.
"""

from __future__ import annotations

from .answer import ask, detect_intents
from .lexicon import load_lexicon
from .retrieve import search

__all__ = ["ask", "detect_intents", "load_lexicon", "search"]
