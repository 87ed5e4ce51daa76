"""Settings: the one place smanav reads its environment.

Each variable is listed in ``SETTINGS`` as (name, default, help), as datasette lists its
settings, so the documentation (docs/settings.md) is generated from it and tested against
it. ``Settings`` reads them, each validated when it is used, so a bad value is a clear
``InvalidInput`` naming the variable (CLI exit 2, API 422), never a traceback, and never
an error in a command that does not use it. No other module touches ``os.environ``
(tests/test_settings.py walks the source to keep it so).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "DISCLAIMER",
    "SETTINGS",
    "Settings",
    "busy_timeout",
    "default_db_path",
    "environment",
    "pdf_workers",
    "settings",
    "settings_markdown",
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
    (
        "SMANAV_CHROMIUM",
        "/usr/bin/chromium",
        "Chromium executable the browser tests and `bench/` drive (tests/webtools.py); "
        "the package itself never starts a browser.",
    ),
    (
        "XDG_DATA_HOME",
        "~/.local/share",
        "Standard base folder of the default knowledge base (smanav/smanav.db in it) when "
        "neither --db nor SMANAV_DB is given.",
    ),
    (
        "XDG_CACHE_HOME",
        "~/.cache",
        "Standard base folder of smanav's cache (smanav/ in it: the compiled drug-name "
        "dictionary, rebuilt when missing).",
    ),
)


#: Default for SMANAV_BUSY_TIMEOUT: long enough for another process's ingest batch or
#: review decision to commit (issue 11: 4 of 132 concurrent commands gave up after 5 s).
BUSY_TIMEOUT = 30.0

#: Default for SMANAV_MAX_BYTES: larger files are refused by ingest and extract.
MAX_BYTES = 20 * 1024 * 1024

_OFF = ("0", "off", "no", "false")
_ON = ("1", "on", "yes", "true")


def _whole(raw: str) -> bool:
    """ASCII digits only: str.isdigit() accepts "¹", which int() refuses."""
    return raw.isascii() and raw.isdigit()


def _invalid(name: str, message: str) -> Exception:
    from .errors import InvalidInput

    return InvalidInput(name, message)


class Settings:
    """The environment as smanav reads it: one property per variable of ``SETTINGS``.

    Read when used (not at import), so a test's or a server's environment applies, and
    validated then, so only the command that needs a variable fails on a bad value.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._env: Mapping[str, str] = os.environ if environ is None else environ

    def _raw(self, name: str) -> str:
        return self._env.get(name, "").strip()

    def _path(self, name: str) -> Path | None:
        raw = self._raw(name)
        return Path(raw).expanduser() if raw else None

    @property
    def db(self) -> Path | None:
        """SMANAV_DB, or None when it is not set (then the per-user default applies)."""
        return self._path("SMANAV_DB")

    @property
    def sources(self) -> Path | None:
        """SMANAV_SOURCES: texts for an automatic build, or None."""
        return self._path("SMANAV_SOURCES")

    @property
    def embeddings(self) -> bool | None:
        """SMANAV_EMBEDDINGS: True (required), False (off) or None (auto)."""
        raw = self._raw("SMANAV_EMBEDDINGS").casefold()
        if raw in ("", "auto"):
            return None
        if raw in _ON:
            return True
        if raw in _OFF:
            return False
        raise _invalid("SMANAV_EMBEDDINGS", f"{raw!r} is not auto, 1 or 0")

    @property
    def max_bytes(self) -> int:
        """SMANAV_MAX_BYTES: the largest file ingest and extract accept."""
        raw = self._raw("SMANAV_MAX_BYTES")
        if not raw:
            return MAX_BYTES
        if not _whole(raw) or int(raw) < 1:
            raise _invalid("SMANAV_MAX_BYTES", f"{raw!r} is not a positive number of bytes")
        return int(raw)

    @property
    def busy_timeout(self) -> float:
        """SMANAV_BUSY_TIMEOUT: seconds a writer waits for the database lock."""
        raw = self._raw("SMANAV_BUSY_TIMEOUT")
        if not raw:
            return BUSY_TIMEOUT
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0 <= value <= 86_400:
            raise _invalid(
                "SMANAV_BUSY_TIMEOUT", f"{raw!r} is not a number of seconds between 0 and 86400"
            )
        return value

    @property
    def pdf_workers(self) -> int:
        """SMANAV_PDF_WORKERS: processes rendering PDFs for the server (1–4)."""
        raw = self._raw("SMANAV_PDF_WORKERS")
        if not raw:
            return 1
        if not _whole(raw) or not 1 <= int(raw) <= 4:
            raise _invalid("SMANAV_PDF_WORKERS", f"{raw!r} is not a whole number from 1 to 4")
        return int(raw)

    @property
    def base_url(self) -> str | None:
        """SMANAV_BASE_URL without a trailing slash, or None when unset."""
        raw = self._raw("SMANAV_BASE_URL")
        if not raw:
            return None
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _invalid(
                "SMANAV_BASE_URL",
                f"{raw!r} is not an http(s) address such as https://smanav.example.org",
            )
        return raw.rstrip("/")

    @property
    def chromium(self) -> str:
        """SMANAV_CHROMIUM: the browser the tests and benchmarks drive."""
        return self._raw("SMANAV_CHROMIUM") or "/usr/bin/chromium"

    @property
    def data_home(self) -> Path:
        """XDG_DATA_HOME (default ~/.local/share)."""
        return self._path("XDG_DATA_HOME") or Path.home() / ".local" / "share"

    @property
    def cache_home(self) -> Path:
        """XDG_CACHE_HOME (default ~/.cache)."""
        return self._path("XDG_CACHE_HOME") or Path.home() / ".cache"


def settings() -> Settings:
    """The settings of this process, read from its environment now."""
    return Settings()


@contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Set (or, with None, remove) variables for a block, then restore them: for child
    processes that only read the environment (uvicorn workers, a browser's HOME)."""
    old = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            _put(name, value)
        yield
    finally:
        for name, value in old.items():
            _put(name, value)


def export(name: str, value: str) -> None:
    """Set a variable for this process and the processes it starts (not restored)."""
    os.environ[name] = value


def default_environment(**values: str) -> None:
    """Set variables that are not set already (e.g. offline mode for model libraries)."""
    for name, value in values.items():
        os.environ.setdefault(name, value)


def _put(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def settings_markdown() -> str:
    """The settings table of docs/settings.md, generated so the docs cannot drift."""
    rows = ["| Variable | Default | What it does |", "| --- | --- | --- |"]
    for name, default, help_text in SETTINGS:
        cells = (f"`{name}`", default, help_text)
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows) + "\n"


def xdg_db_path() -> Path:
    """The per-user default location; the only one whose folders smanav creates itself."""
    return settings().data_home / "smanav" / "smanav.db"


def default_db_path() -> Path:
    """Per-user location, so the knowledge base survives upgrades and is not in a repo."""
    return settings().db or xdg_db_path()


def busy_timeout() -> float:
    """Seconds a writer waits for the database lock (SMANAV_BUSY_TIMEOUT)."""
    return settings().busy_timeout


def pdf_workers() -> int:
    """Worker processes for PDFs (SMANAV_PDF_WORKERS, 1–4; default 1)."""
    return settings().pdf_workers
