"""Settings, each as (name, default, help), as datasette does, so docs can be tested."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DISCLAIMER", "SETTINGS", "default_db_path"]

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
        "SMANAV_BASE_URL",
        "(the address a request came to)",
        "Public address of the site, used for the links in CDS Hooks cards; set it behind a "
        "proxy so a client's Host header cannot choose where cards link.",
    ),
)


def default_db_path() -> Path:
    """Per-user location, so the knowledge base survives upgrades and is not in a repo."""
    env = os.environ.get("SMANAV_DB")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "smanav" / "smanav.db"
