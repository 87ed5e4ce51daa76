"""Settings: read only through smanav.settings, each documented, each with a visible
effect and a clear error for a bad value; one version source."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smanav.errors import InvalidInput
from smanav.settings import SETTINGS, Settings, settings_markdown

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "smanav"
ENV_CALLS = {"environ", "getenv", "putenv", "unsetenv", "environb"}


def _environment_reads(path: Path) -> list[str]:
    """Every use of os.environ / os.getenv / `from os import environ` in one module, and
    every option that reads a variable itself (typer's or click's envvar=)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ENV_CALLS
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} os.{node.attr}")
        if isinstance(node, ast.keyword) and node.arg in ("envvar", "auto_envvar_prefix"):
            found.append(f"{path.relative_to(ROOT)}:{node.value.lineno} {node.arg}=")
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [
                f"{path.relative_to(ROOT)}:{node.lineno} from os import {a.name}"
                for a in node.names
                if a.name in ENV_CALLS
            ]
    return found


def test_only_settings_reads_the_environment() -> None:
    modules = sorted(SRC.rglob("*.py"))
    assert len(modules) > 40
    reads = [r for m in modules if m.name != "settings.py" for r in _environment_reads(m)]
    assert reads == [], "read the environment through smanav.settings instead"
    assert _environment_reads(SRC / "settings.py"), "the walk must see settings.py's reads"


def test_every_variable_read_is_a_documented_setting() -> None:
    text = (SRC / "settings.py").read_text(encoding="utf-8")
    names = {name for name, _default, _help in SETTINGS}
    read = set(__import__("re").findall(r'_(?:raw|path)\("([A-Z_]+)"\)', text))
    assert read == names


def test_the_settings_page_is_generated_from_settings() -> None:
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert page.endswith(settings_markdown())
    for name, default, help_text in SETTINGS:
        assert f"| `{name}` | {default} |" in page and help_text


def test_one_version_source() -> None:
    import smanav
    from smanav._version import __version__
    from smanav.plan.engine import __version__ as engine_version

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert smanav.__version__ is __version__ is engine_version
    engine = (SRC / "plan" / "engine.py").read_text(encoding="utf-8")
    assert "from .. import" not in engine  # not through the package root (import cycle)


@pytest.mark.parametrize(
    ("name", "bad", "attr"),
    [
        ("SMANAV_EMBEDDINGS", "maybe", "embeddings"),
        ("SMANAV_MAX_BYTES", "20MB", "max_bytes"),
        ("SMANAV_MAX_BYTES", "0", "max_bytes"),
        ("SMANAV_BUSY_TIMEOUT", "soon", "busy_timeout"),
        ("SMANAV_PDF_WORKERS", "5", "pdf_workers"),
        ("SMANAV_PDF_WORKERS", "²", "pdf_workers"),
        ("SMANAV_BASE_URL", "smanav.example.org", "base_url"),
        ("SMANAV_BASE_URL", "https://", "base_url"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, bad: str, attr: str) -> None:
    with pytest.raises(InvalidInput, match=name) as info:
        getattr(Settings({name: bad}), attr)
    assert repr(bad) in info.value.message


@given(st.text(max_size=12) | st.sampled_from(["¹", "٣", "2²", " 7 ", "0"]))
def test_max_bytes_is_a_positive_whole_number_or_refused(raw: str) -> None:
    s = Settings({"SMANAV_MAX_BYTES": raw})
    text = raw.strip()
    if not text:
        assert s.max_bytes == 20 * 1024 * 1024
    elif text.isascii() and text.isdigit() and int(text) > 0:
        assert s.max_bytes == int(text)
    else:
        with pytest.raises(InvalidInput, match="SMANAV_MAX_BYTES"):
            _ = s.max_bytes


def test_defaults_and_values() -> None:
    unset = Settings({})
    assert (unset.db, unset.sources, unset.embeddings, unset.base_url) == (None, None, None, None)
    assert (unset.busy_timeout, unset.pdf_workers, unset.chromium) == (30.0, 1, "/usr/bin/chromium")
    home = Path.home()
    assert (unset.data_home, unset.cache_home) == (home / ".local/share", home / ".cache")
    env = {
        "SMANAV_DB": "~/kb.db",
        "SMANAV_SOURCES": "/texts",
        "SMANAV_EMBEDDINGS": "OFF",
        "SMANAV_MAX_BYTES": " 1000 ",
        "SMANAV_PDF_WORKERS": "3",
        "SMANAV_BASE_URL": "https://smanav.example.org/",
        "SMANAV_CHROMIUM": "/opt/chromium",
        "XDG_DATA_HOME": "/data",
        "XDG_CACHE_HOME": "/cache",
    }
    s = Settings(env)
    assert s.db == home / "kb.db" and s.sources == Path("/texts")
    assert (s.embeddings, Settings({"SMANAV_EMBEDDINGS": "1"}).embeddings) == (False, True)
    assert (s.max_bytes, s.pdf_workers, s.chromium) == (1000, 3, "/opt/chromium")
    assert s.base_url == "https://smanav.example.org"
    assert (s.data_home, s.cache_home) == (Path("/data"), Path("/cache"))


def test_db_and_xdg_data_home_choose_the_default_knowledge_base(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from smanav.settings import default_db_path

    monkeypatch.delenv("SMANAV_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_db_path() == tmp_path / "smanav" / "smanav.db"
    monkeypatch.setenv("SMANAV_DB", str(tmp_path / "other.db"))
    assert default_db_path() == tmp_path / "other.db"


def test_xdg_cache_home_holds_the_drug_dictionary_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from smanav.extract.lexicon import _cache_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _cache_dir() == tmp_path / "smanav"


def test_chromium_setting_is_the_browser_the_tests_drive() -> None:
    from smanav.settings import settings
    from webtools import CHROMIUM

    assert settings().chromium == CHROMIUM


def _article(tmp_path: Path) -> Path:
    path = tmp_path / "note.txt"
    path.write_text("Glycopyrrolate can reduce drooling in SMA. " * 20, encoding="utf-8")
    return path


def test_max_bytes_applies_to_the_library(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_db: Path
) -> None:
    """SMANAV_MAX_BYTES limits ingest_paths() and extract_paths(), not only the CLI."""
    from smanav.extract import extract_paths
    from smanav.ingest import ingest_paths
    from smanav.store import open_kb

    path = _article(tmp_path)
    monkeypatch.setenv("SMANAV_MAX_BYTES", "100")
    kb = open_kb(fresh_db)
    extracted = extract_paths([path], kb)
    assert extracted["documents"] == []
    assert "over the 100-byte limit" in extracted["errors"][0]["message"]
    ingested = ingest_paths([path], fresh_db)
    assert (ingested["added"], ingested["error"]) == (0, 1)
    assert "over the 100-byte limit" in ingested["documents"][0]["message"]
    # An explicit argument still wins over the setting.
    assert extract_paths([path], kb, max_bytes=10_000)["documents"]
    monkeypatch.setenv("SMANAV_MAX_BYTES", "lots")
    with pytest.raises(InvalidInput, match="SMANAV_MAX_BYTES"):
        extract_paths([path], kb)
    with pytest.raises(InvalidInput, match="SMANAV_MAX_BYTES"):
        ingest_paths([path], fresh_db)


def test_bad_settings_exit_2_with_the_variable_named(  # type: ignore[no-untyped-def]
    cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = _article(tmp_path)
    monkeypatch.setenv("SMANAV_MAX_BYTES", "100")
    res = cli("extract", str(path))
    assert "100-byte limit" in res.stdout + res.stderr
    monkeypatch.setenv("SMANAV_MAX_BYTES", "-5")
    res = cli("extract", str(path))
    assert res.code == 2 and "SMANAV_MAX_BYTES" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    monkeypatch.delenv("SMANAV_MAX_BYTES")
    monkeypatch.setenv("SMANAV_EMBEDDINGS", "maybe")
    res = cli("search", "drooling")
    assert res.code == 2 and "SMANAV_EMBEDDINGS" in res.stderr and "'maybe'" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    monkeypatch.setenv("SMANAV_EMBEDDINGS", "0")
    assert cli("search", "drooling").code == 0


def test_sources_setting_supplies_texts_to_a_build(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from smanav.store import build

    monkeypatch.setenv("SMANAV_SOURCES", str(tmp_path / "no-such-folder"))
    with pytest.raises(InvalidInput, match="no-such-folder is not a folder"):
        build(tmp_path / "kb.db")
    monkeypatch.setenv("SMANAV_SOURCES", str(tmp_path))
    assert build(tmp_path / "kb.db").concepts > 0


def test_smanav_db_chooses_the_file_the_cli_uses(
    fresh_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import sys

    from smanav.cli import main

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("SMANAV_DB", str(fresh_db))
    monkeypatch.setattr(sys, "argv", ["smanav", "ingest", str(_article(tmp_path)), "--json"])
    with pytest.raises(SystemExit) as done:
        main()
    assert not done.value.code
    assert str(fresh_db) in capsys.readouterr().out
    assert not (tmp_path / "xdg").exists()
