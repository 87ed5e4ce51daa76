"""Files and streams (issue 11): -o writes to the path it is given, a full disk or a
closed stream is a sentence, every empty or negative option value is named, and a
profile file never makes `smanav plan` raise."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXE = str(Path(sys.executable).with_name("smanav"))
PLAN = ("plan", "--age", "30", "--symptom", "drooling")


@pytest.mark.parametrize("command", [PLAN, ("export", "--format", "csv")])
def test_output_through_a_symlink_keeps_the_link(
    cli: Callable[..., Any], tmp_path: Path, command: tuple[str, ...]
) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    res = cli(*command, "-o", str(link))
    assert res.code == 0, res.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text(encoding="utf-8") != "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.txt", "real.txt"]


@pytest.mark.parametrize("command", [PLAN, ("export",)])
def test_output_into_a_fifo_writes_into_it(
    cli: Callable[..., Any], tmp_path: Path, command: tuple[str, ...]
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as fh:
            got.append(fh.read())

    reader = threading.Thread(target=read)
    reader.start()
    res = cli(*command, "-o", str(fifo))
    reader.join(30)
    assert res.code == 0, res.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a FIFO, not replaced by a file
    assert got and len(got[0]) > 100


@pytest.mark.parametrize("command", [PLAN, ("export",)])
def test_output_has_normal_permissions(
    cli: Callable[..., Any], tmp_path: Path, command: tuple[str, ...]
) -> None:
    old = os.umask(0o022)
    try:
        new = tmp_path / "new.out"
        assert cli(*command, "-o", str(new)).code == 0
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        kept = tmp_path / "kept.out"
        kept.write_text("x", encoding="utf-8")
        kept.chmod(0o640)
        assert cli(*command, "-o", str(kept)).code == 0
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(old)


def _run(args: list[str], db: Path, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXE, "--db", str(db), *args], text=True, timeout=120, stderr=subprocess.PIPE, **kw
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", [list(PLAN), ["export"], ["treatments", "--json"]])
def test_full_disk_on_stdout_is_a_sentence(db_path: Path, command: list[str]) -> None:
    with open("/dev/full", "w") as full:
        res = _run(command, db_path, stdout=full)
    assert res.returncode == 2
    assert "No space left on device" in res.stderr
    assert "Traceback" not in res.stderr and "Exception ignored" not in res.stderr


def test_closed_stdin_for_profile_is_a_sentence(db_path: Path) -> None:
    res = _run(
        ["plan", "--profile", "-"],
        db_path,
        stdout=subprocess.PIPE,
        preexec_fn=lambda: os.close(0),  # noqa: PLW1509 - closes stdin in the child only
    )
    assert res.returncode == 2
    assert "--profile" in res.stderr and "standard input is closed" in res.stderr
    assert "Traceback" not in res.stderr


def test_closed_stdout_is_a_sentence(db_path: Path) -> None:
    res = _run(["treatments"], db_path, preexec_fn=lambda: os.close(1))  # noqa: PLW1509
    assert res.returncode == 2
    assert "standard output is closed" in res.stderr and "Traceback" not in res.stderr


# --- every empty or negative option value is named ------------------------------------
BAD_OPTIONS = [
    (("--db", "", "treatments"), "--db"),
    (("ingest", "x.txt", "--batch-size", "-3"), "--batch-size"),
    (("ingest", "x.txt", "--batch-size", "0"), "--batch-size"),
    (("ingest", "x.txt", "--max-bytes", "0"), "--max-bytes"),
    (("ingest", "x.txt", "--max-bytes", "-5"), "--max-bytes"),
    (("ingest", "x.txt", "--workers", "-1"), "--workers"),
    (("ingest", "x.txt", "--scheduler", ""), "--scheduler"),
    (("extract", "x.txt", "--max-bytes", "-1"), "--max-bytes"),
    (("export", "--format", ""), "--format"),
    (("export", "--format", " "), "--format"),
    (("export", "-o", ""), "-o"),
    (("plan", "--age", "30", "--format", ""), "--format"),
    (("plan", "--profile", ""), "--profile"),
    (("plan", "--age", "30", "-o", ""), "--output"),
    (("plan", "--age", ""), "--age"),
    (("plan", "--age", "30", "--type", ""), "--type"),
    (("plan", "--age", "30", "--region", " "), "--region"),
    (("search", ""), "QUERY"),
    (("search", "drooling", "--limit", "0"), "--limit"),
    (("search", "drooling", "--limit", "-1"), "--limit"),
    (("search", "drooling", "--limit", "1000"), "--limit"),
    (("ask", ""), "QUESTION"),
    (("show", ""), "NAME"),
    (("treatments", "--domain", ""), "--domain"),
    (("db", "build", "--sources", ""), "--sources"),
    (("review", "--limit", "0"), "--limit"),
    (("review", "--offset", "-1"), "--offset"),
    (("review", "--status", ""), "--status"),
    (("serve", "--port", "0"), "--port"),
    (("serve", "--workers", "0"), "--workers"),
]


@pytest.mark.parametrize(("args", "option"), BAD_OPTIONS)
def test_every_empty_or_negative_option_is_named(
    cli: Callable[..., Any], fresh_db: Path, args: tuple[str, ...], option: str
) -> None:
    res = cli(*args, db=fresh_db)
    assert res.code == 2, (args, res.stdout[:200], res.stderr)
    said = " ".join(res.stderr.split())
    assert option.lower() in said.lower(), said
    assert "Traceback" not in res.stderr


# --- profile files parsed defensively --------------------------------------------------
def _deep(depth: int) -> bytes:
    return b'{"age_months": 30, "symptoms": ' + b"[" * depth + b"]" * depth + b"}"


PROFILES = {
    "5,000-digit integer": (b'{"age_months": ' + b"9" * 5000 + b"}", "integer of 5000 digits"),
    "depth 1,000": (_deep(1000), "nested too deeply"),
    "depth 70,000": (_deep(70_000), "nested too deeply"),
    "lone surrogate": (b'{"age_months": 30, "symptoms": ["\\ud800"]}', "lone surrogate"),
    "lone surrogate key": (b'{"\\udfff": 1}', "lone surrogate"),
    "NaN": (b'{"age_months": NaN}', "not a JSON number"),
    "huge float": (b'{"age_months": 1e999}', "too large"),
    "binary": (bytes(range(256)) * 4, "not UTF-8"),
    "huge file": (b'{"a": "' + b"x" * 1_100_000 + b'"}', "over 1000000 bytes"),
    "empty": (b"", "not valid JSON"),
}


@pytest.mark.parametrize("case", sorted(PROFILES))
def test_bad_profile_file_is_one_sentence(
    cli: Callable[..., Any], tmp_path: Path, case: str
) -> None:
    content, needle = PROFILES[case]
    path = tmp_path / "profile.json"
    path.write_bytes(content)
    res = cli("plan", "--profile", str(path))
    assert res.code == 2
    said = " ".join(res.stderr.split())
    assert "--profile" in said and needle in said, said
    assert "Traceback" not in res.stderr


def _json_values() -> st.SearchStrategy[Any]:
    leaves = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=20)
        | st.sampled_from(["30", "3y", "8m", "drooling", "baclofen", "sitter", "2", "US"])
    )
    return st.recursive(
        leaves,
        lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids),
        max_leaves=12,
    )


FIELDS = ["age_months", "sma_type", "symptoms", "medications", "functional_status", "weight_kg"]


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    content=st.binary(max_size=300)
    | st.builds(lambda v: json.dumps(v).encode(), _json_values())
    | st.builds(
        lambda d: json.dumps(d).encode(),
        st.dictionaries(st.sampled_from(FIELDS), _json_values(), max_size=4),
    )
)
def test_plan_profile_file_never_raises(
    cli: Callable[..., Any], tmp_path: Path, content: bytes
) -> None:
    """Arbitrary bytes and JSON as `smanav plan --profile FILE`: a plan or one sentence
    with exit 2, never an exception."""
    path = tmp_path / "profile.json"
    path.write_bytes(content)
    res = cli("plan", "--profile", str(path), "--json")
    assert res.code in (0, 2), res.stderr
    assert "Traceback" not in res.stderr
    if res.code == 2:
        assert "error" in json.loads(res.stdout)
