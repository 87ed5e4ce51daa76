"""Source texts read from the store when a quote needs them, never all at once."""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = ["StoredTexts"]


class StoredTexts(Mapping[str, str]):
    """Source texts read from the database when a quote needs them, never all at open.

    Opening the knowledge base used to read every stored text into memory (585 MB at a
    million passages); a plan quotes a few sources, so a few are read and the last ones
    kept. A cited source without a text of its own is quoted from an ingested document
    with the same sha256 (the same article, ingested by a user).
    """

    #: Texts kept in memory after being read (a plan or a search quotes a handful).
    KEEP = 32

    def __init__(self, path: Path, sha_of: Mapping[str, str]) -> None:
        self.path = path
        self._sha_of = dict(sha_of)
        self._cache: OrderedDict[str, str | None] = OrderedDict()
        self._cached = threading.Lock()
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _query(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            if self._conn is None:
                uri = f"{self.path.absolute().as_uri()}?mode=ro"
                self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
                weakref.finalize(self, self._conn.close)
            return self._conn.execute(sql, args).fetchall()

    def _read(self, sid: str) -> str | None:
        rows = self._query("SELECT text FROM documents WHERE source_id = ?", (sid,))
        if not rows and sid in self._sha_of:
            rows = self._query(
                "SELECT text FROM documents WHERE sha256 = ? LIMIT 1", (self._sha_of[sid],)
            )
        return str(rows[0][0]) if rows else None

    def get(self, key: str, default: Any = None) -> Any:
        with self._cached:
            if key in self._cache:
                self._cache.move_to_end(key)
                text = self._cache[key]
                return default if text is None else text
        text = self._read(key)
        with self._cached:
            self._cache[key] = text
            while len(self._cache) > self.KEEP:
                self._cache.popitem(last=False)
        return default if text is None else text

    def __getitem__(self, key: str) -> str:
        text = self.get(key)
        if text is None:
            raise KeyError(key)
        return str(text)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def _ids(self) -> list[str]:
        own = {str(r[0]) for r in self._query("SELECT source_id FROM documents", ())}
        shas = {str(r[0]) for r in self._query("SELECT DISTINCT sha256 FROM documents", ())}
        own |= {sid for sid, sha in self._sha_of.items() if sha in shas}
        return sorted(own)

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids())

    def __len__(self) -> int:
        return len(self._ids())
