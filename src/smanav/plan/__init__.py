"""Care-discussion plans: a patient profile in, cited options per care domain out.

``make_plan`` is the real thing; the CLI (`smanav plan`), the API and the web
pages only format its result (JSON, Markdown, HTML, PDF, FHIR).
"""

from __future__ import annotations

from .engine import make_plan
from .profile import InvalidProfile, Profile, parse_profile
from .render import render_html, render_markdown, render_pdf
from .rules import RuleSet, check_rules, load_rules

__all__ = [
    "InvalidProfile",
    "Profile",
    "RuleSet",
    "check_rules",
    "load_rules",
    "make_plan",
    "parse_profile",
    "render_html",
    "render_markdown",
    "render_pdf",
]
