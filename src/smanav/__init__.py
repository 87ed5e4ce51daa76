"""smanav: an evidence-linked knowledge base and care-discussion assistant for SMA.

The library is the real thing; the CLI, web pages and API only format what it
returns. Heavy modules are imported lazily so that ``import smanav`` stays fast.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DISCLAIMER", "InvalidInput", "__version__", "ask", "make_plan", "open_kb"]

from ._version import __version__
from .errors import InvalidInput
from .settings import DISCLAIMER


def open_kb(db: str | None = None) -> Any:
    """The knowledge base from the SQLite file (built on first use)."""
    from .store import open_kb as _open

    return _open(db)


def make_plan(profile: Any, kb: Any = None) -> dict[str, Any]:
    """A care-discussion plan for a profile (dict or Profile); see smanav.plan."""
    from .plan import make_plan as _make_plan

    result: dict[str, Any] = _make_plan(profile, kb if kb is not None else open_kb())
    return result


def ask(question: str, kb: Any = None) -> dict[str, Any]:
    """A cited answer composed from knowledge-base assertions; see smanav.search."""
    from .search import ask as _ask

    result: dict[str, Any] = _ask(question, kb if kb is not None else open_kb())
    return result
