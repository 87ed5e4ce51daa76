"""Settings, each as (name, default, help), as datasette does, so docs can be tested."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "DISCLAIMER",
    "SETTINGS",
    "busy_timeout",
    "default_db_path",
    "pdf_workers",
    "xdg_db_path",
]

#: Shown on every output: smanav organises cited information, it does not advise.
DISCLAIMER = (
    "smanav gives no medical advice. It organises cited information for families and "
    "care teams to discuss. Which treatments a person needs depends on how severe the "
    "symptoms are and is decided with a team of healthcare professionals."
)

SETTINGS: tuple[tuple[str, str, str], ...] = (
    (
        "SMANAV_DB",
        "$XDG_DATA_HOME/smanav/smanav.db (~/.local/share/smanav/smanav.db)",
        "Path of the SQLite knowledge base; --db overrides it.",
    ),
    (
        "SMANAV_SOURCES",
        "(unset)",
        "Folder of source documents read when the database is built on first use.",
    ),
    (
        "SMANAV_EMBEDDINGS",
        "auto",
        "Dense retrieval in search and ask: auto (when the embeddings extra is installed), "
        "1 (required), 0 (off).",
    ),
    (
        "SMANAV_MAX_BYTES",
        "20971520 (20 MB)",
        "Largest file `smanav ingest` and `smanav extract` accept; --max-bytes overrides it.",
    ),
    (
        "SMANAV_BUSY_TIMEOUT",
        "30",
        "Seconds a write waits for another smanav process writing to the same knowledge "
        "base before giving up with a message (exit 2).",
    ),
    (
        "SMANAV_PDF_WORKERS",
        "1",
        "Worker processes that render plan PDFs for `smanav serve` (1–4); each is replaced "
        "after 25 PDFs, and at most 8 PDFs per worker wait (more are answered 503).",
    ),
    (
        "SMANAV_BASE_URL",
        "(the address a request came to)",
        "Public address of the site, used for the links in CDS Hooks cards; set it behind a "
        "proxy so a client's Host header cannot choose where cards link.",
    ),
)


def xdg_db_path() -> Path:
    """The per-user default location; the only one whose folders smanav creates itself."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "smanav" / "smanav.db"


def default_db_path() -> Path:
    """Per-user location, so the knowledge base survives upgrades and is not in a repo."""
    env = os.environ.get("SMANAV_DB")
    if env:
        return Path(env).expanduser()
    return xdg_db_path()


#: Default for SMANAV_BUSY_TIMEOUT: long enough for another process's ingest batch or
#: review decision to commit (issue 11: 4 of 132 concurrent commands gave up after 5 s).
BUSY_TIMEOUT = 30.0


def busy_timeout() -> float:
    """Seconds a writer waits for the database lock (SMANAV_BUSY_TIMEOUT)."""
    from .errors import InvalidInput

    raw = os.environ.get("SMANAV_BUSY_TIMEOUT", "").strip()
    if not raw:
        return BUSY_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86_400:
        raise InvalidInput(
            "SMANAV_BUSY_TIMEOUT", f"{raw!r} is not a number of seconds between 0 and 86400"
        )
    return value


def pdf_workers() -> int:
    """Worker processes for PDFs (SMANAV_PDF_WORKERS, 1–4; default 1)."""
    from .errors import InvalidInput

    raw = os.environ.get("SMANAV_PDF_WORKERS", "").strip()
    if not raw:
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= 4:
        raise InvalidInput("SMANAV_PDF_WORKERS", f"{raw!r} is not a whole number from 1 to 4")
    return int(raw)
