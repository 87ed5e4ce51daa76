"""The built wheel carries the data; the build of the knowledge base is deterministic."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from smanav.store import Store, build

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (whl,) = out.glob("smanav-*.whl")
    return whl


def test_wheel_contains_the_data_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    data = sorted(
        p.relative_to(ROOT / "src").as_posix()
        for p in (ROOT / "src" / "smanav" / "data").rglob("*")
        if p.is_file() and p.suffix in (".yaml", ".json")
    )
    assert data, "no data files found in the source tree"
    missing = [d for d in data if d not in names]
    assert not missing, f"missing from the wheel: {missing}"
    assert "smanav/py.typed" in names


def test_wheel_ships_no_source_text(wheel: Path) -> None:
    """Quotes come from documents the user supplies: no article text in the package."""
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.endswith(".txt") and "dist-info" not in n]


def _dump(path: Path) -> list[str]:
    with Store(path) as store:
        return list(store.conn.iterdump())


def test_build_is_deterministic(tmp_path: Path) -> None:
    build(tmp_path / "a.db")
    build(tmp_path / "b.db")
    assert _dump(tmp_path / "a.db") == _dump(tmp_path / "b.db")


def test_rebuild_without_sources_keeps_quotes(tmp_path: Path, corpus: Path) -> None:
    """An automatic rebuild (e.g. after an upgrade) must not drop the texts a user gave."""
    path = tmp_path / "k.db"
    first = build(path, corpus)
    assert first.texts
    again = build(path)
    assert sorted(again.texts) == sorted(first.texts)


def test_rebuild_from_a_folder_without_the_texts_keeps_quotes(tmp_path: Path, corpus: Path) -> None:
    """`db build --sources` with the wrong folder must not throw away texts given earlier."""
    path = tmp_path / "k.db"
    first = build(path, corpus)
    other = tmp_path / "other"
    other.mkdir()
    again = build(path, other)
    assert sorted(again.texts) == sorted(first.texts)
    assert all("stored earlier" in w for w in again.warnings if "not found" in w)
    with Store(path) as store:
        kept = {r[0] for r in store.conn.execute("SELECT source_id FROM documents")}
    assert set(first.texts) <= kept


def test_commands_build_the_database_on_first_use(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "new" / "smanav.db"
    res = cli("treatments", "--json", db=path)
    assert res.code == 0, res.stderr
    assert path.exists()


def test_build_reports_a_modified_source_instead_of_quoting_it(
    tmp_path: Path, corpus: Path
) -> None:
    changed = tmp_path / "src"
    changed.mkdir()
    for f in corpus.glob("*.txt"):
        (changed / f.name).write_text(f.read_text(encoding="utf-8") + " edited", encoding="utf-8")
    report = build(tmp_path / "k.db", changed)
    assert not report.texts
    assert any("sha256 mismatch" in w for w in report.warnings)


def test_wheel_contains_the_web_templates_and_static_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    web = sorted(
        p.relative_to(ROOT / "src").as_posix()
        for p in (ROOT / "src" / "smanav" / "templates" / "web").rglob("*")
        if p.is_file()
    )
    assert "smanav/templates/web/base.html" in web
    missing = [w for w in web if w not in names]
    assert not missing, f"missing from the wheel: {missing}"


def test_wheel_ships_no_test_tooling(wheel: Path) -> None:
    """Playwright, chromium and axe helpers are test code (tests/webtools.py)."""
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "smanav/web/app.py" in names and "smanav/web/routers/api.py" in names
    assert not [n for n in names if n.endswith(("testing.py", "webtools.py"))]
