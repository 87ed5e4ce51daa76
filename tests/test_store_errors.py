"""The database named, never a traceback; missing installed data is an installation
error, never an empty knowledge base (issue 11)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from smanav import kb as kb_module
from smanav.errors import InstallError, StoreError
from smanav.kb import data_root, load_curated
from smanav.store import open_kb, open_store


def _folder(tmp: Path, good: Path) -> Path:
    (tmp / "a-folder.db").mkdir()
    return tmp / "a-folder.db"


def _text(tmp: Path, good: Path) -> Path:
    path = tmp / "notes.db"
    path.write_text("these are my notes, not a database\n" * 10, encoding="utf-8")
    return path


def _truncated(tmp: Path, good: Path) -> Path:
    path = tmp / "truncated.db"
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def _short(tmp: Path, good: Path) -> Path:
    path = tmp / "short.db"
    path.write_bytes(good.read_bytes()[:50])
    return path


def _bit_flipped(tmp: Path, good: Path) -> Path:
    path = tmp / "flipped.db"
    data = bytearray(good.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for p in range(1, 6):  # b-tree page headers of a few pages: garbage
        data[p * page : p * page + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    return path


def _other_schema(tmp: Path, good: Path) -> Path:
    path = tmp / "other-app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, caption TEXT)")
    conn.execute("INSERT INTO photos VALUES (1, 'beach')")
    conn.commit()
    conn.close()
    return path


def _newer(tmp: Path, good: Path) -> Path:
    """A smanav database a later version wrote: a schema step this one does not know."""
    path = tmp / "newer.db"
    src, dst = sqlite3.connect(good), sqlite3.connect(path)
    with dst:
        src.backup(dst)
        dst.execute("INSERT INTO migrations VALUES ('0099_from_a_later_smanav', 'smanav 9.0')")
    src.close()
    dst.close()
    return path


def _under_a_file(tmp: Path, good: Path) -> Path:
    (tmp / "plain.txt").write_text("x", encoding="utf-8")
    return tmp / "plain.txt" / "smanav.db"


def _no_parent(tmp: Path, good: Path) -> Path:
    return tmp / "nonexistent" / "dir" / "x.db"


CASES: dict[str, tuple[Callable[[Path, Path], Path], str]] = {
    "folder": (_folder, "is a folder"),
    "not sqlite": (_text, "is not a SQLite database"),
    "truncated": (_truncated, "is damaged"),
    "truncated header": (_short, "is damaged"),
    "bit-flipped": (_bit_flipped, "is damaged"),
    "another schema": (_other_schema, "another application's database"),
    "newer smanav": (_newer, "written by a newer smanav (schema step 0099_from_a_later_smanav"),
    "under a regular file": (_under_a_file, "which is a file, not a folder"),
    "parent missing": (_no_parent, "does not exist"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_db_is_one_sentence_exit_2(
    cli: Callable[..., Any], db_path: Path, tmp_path: Path, case: str
) -> None:
    make, needle = CASES[case]
    path = make(tmp_path, db_path)
    before = path.read_bytes() if path.is_file() else None
    res = cli("treatments", db=path)
    assert res.code == 2, res.stderr
    said = " ".join(res.stderr.split())
    assert "--db (or SMANAV_DB)" in said and needle in said
    assert "Traceback" not in res.stderr + res.stdout
    if before is not None:
        assert path.read_bytes() == before  # never rebuilt over someone's file
    assert not (tmp_path / "nonexistent").exists()  # no folder created silently


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_db_raises_store_error_without_a_path_for_api_users(
    db_path: Path, tmp_path: Path, case: str
) -> None:
    make, _needle = CASES[case]
    path = make(tmp_path, db_path)
    with pytest.raises(StoreError) as info:
        open_kb(path)
    assert str(tmp_path) not in info.value.public
    assert str(path) in info.value.detail


def test_bad_db_from_the_environment_is_named(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from smanav.cli import main

    monkeypatch.setenv("SMANAV_DB", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["smanav", "treatments"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2


def test_empty_file_and_new_file_are_built(db_path: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    assert len(open_kb(empty).concepts) > 50
    with open_store(tmp_path / "new.db") as store:
        assert store.meta("schema")


def test_a_good_database_is_checked_cheaply(db_path: Path) -> None:
    """quick_check runs once per file version in a process (measured ~3 ms per MB)."""
    import time

    from smanav import store as store_module

    store_module._VERIFIED.clear()
    with open_store(db_path):
        pass
    start = time.perf_counter()
    for _ in range(20):
        with open_store(db_path):
            pass
    assert time.perf_counter() - start < 2.0


# --- missing installed data ------------------------------------------------------------
@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "data"
    shutil.copytree(Path(str(data_root())), dest)
    return dest


def _remove(root: Path, part: str) -> None:
    target = root / part.rstrip("/")
    if part == "empty concepts/":
        for f in (root / "concepts").iterdir():
            f.unlink()
    elif part == "empty sources.yaml":
        (root / "sources.yaml").write_text("", encoding="utf-8")
    elif target.is_dir():
        shutil.rmtree(target)
    else:
        target.unlink()


PARTS = ["sources.yaml", "hpo.json", "concepts/", "assertions/", "empty concepts/"]
PARTS += ["empty sources.yaml"]


@pytest.mark.parametrize("part", PARTS)
def test_missing_installed_data_is_an_installation_error(data_copy: Path, part: str) -> None:
    _remove(data_copy, part)
    with pytest.raises(InstallError) as info:
        load_curated(data_copy)
    assert "reinstall smanav" in str(info.value)
    assert part.removeprefix("empty ").rstrip("/") in str(info.value)
    assert str(data_copy) not in info.value.public and str(data_copy) not in str(info.value)
    assert str(data_copy) in info.value.detail


@pytest.mark.parametrize("part", PARTS)
def test_database_is_never_rebuilt_from_an_incomplete_package(
    fresh_db: Path, data_copy: Path, part: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reinstall under a running server: the stored knowledge base stays as it was."""
    conn = sqlite3.connect(fresh_db)
    before = conn.execute("SELECT COUNT(*) FROM concepts").fetchone()[0]
    texts = conn.execute("SELECT value FROM meta WHERE key = 'texts'").fetchone()
    conn.close()
    _remove(data_copy, part)
    monkeypatch.setattr(kb_module, "data_root", lambda: data_copy)
    with pytest.raises(InstallError):
        open_kb(fresh_db)
    conn = sqlite3.connect(fresh_db)
    assert conn.execute("SELECT COUNT(*) FROM concepts").fetchone()[0] == before
    assert conn.execute("SELECT value FROM meta WHERE key = 'texts'").fetchone() == texts
    conn.close()


def test_missing_installed_data_on_the_cli_exits_2(
    cli: Callable[..., Any], fresh_db: Path, data_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _remove(data_copy, "concepts/")
    monkeypatch.setattr(kb_module, "data_root", lambda: data_copy)
    res = cli("treatments", db=fresh_db)
    assert res.code == 2
    assert "reinstall smanav" in " ".join(res.stderr.split())
    assert "Traceback" not in res.stderr


def test_one_missing_folder_is_created_and_said(cli: Callable[..., Any], tmp_path: Path) -> None:
    res = cli("treatments", "--json", db=tmp_path / "new" / "smanav.db")
    assert res.code == 0
    assert "created the folder" in res.stderr and (tmp_path / "new" / "smanav.db").is_file()
