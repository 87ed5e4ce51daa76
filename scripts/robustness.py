"""What was tried against smanav, and what happened: the table in docs/robustness.md.

    .venv-test/bin/python scripts/robustness.py            # everything, writes docs/robustness.md
    .venv-test/bin/python scripts/robustness.py --quick    # fewer trials (a minute or two)

Parts, each counted:
- **bad CLI input**: a table of hostile or careless command lines; each must exit 2 with
  a sentence and never a traceback.
- **hostile HTTP**: the fuzz tests of the test command (tests/test_fuzz_api.py,
  tests/test_fuzz_fhir.py) run with many more examples (SMANAV_FUZZ_EXAMPLES).
- **crash points**: `kill -9` at a random moment of `ingest`, `review --accept-all` and
  `db build`; afterwards the file must pass `PRAGMA integrity_check`, hold no half-stored
  document, keep every review decision that was reported, and a rerun must finish.
- **concurrency**: ingest, review and build at once on one database; no traceback, every
  command either done or told in a sentence that another process is writing.
- **load**: bench/load.py's figures when it has been run (it writes bench/load.json).

Nothing here runs in the test command; the test command runs the bounded versions.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "extract"
OUT = ROOT / "docs" / "robustness.md"


@dataclass
class Row:
    area: str
    tried: str
    count: int
    result: str
    ok: bool
    details: list[str] = field(default_factory=list)


def smanav(args: Sequence[str], db: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMANAV_DB": str(db), "PYTHONWARNINGS": "ignore"}
    return subprocess.run(  # type: ignore[call-overload,no-any-return]
        [sys.executable, "-m", "smanav", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        **kw,
    )


def corpus(folder: Path, n: int) -> Path:
    """n small documents made from the extraction fixtures, each different."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.txt"))]
    for i in range(n):
        body = texts[i % len(texts)]
        (folder / f"doc{i:04d}.txt").write_text(f"Document {i}.\n\n{body}\n" * 3, "utf-8")
    return folder


# --- bad CLI input -------------------------------------------------------------------
def cli_cases(tmp: Path) -> list[tuple[str, list[str]]]:
    (tmp / "folder").mkdir(exist_ok=True)
    notsqlite = tmp / "not.db"
    notsqlite.write_text("hello, not a database")
    binary = tmp / "bin.txt"
    binary.write_bytes(b"\x00\x01\x02" * 1000)
    deep = tmp / "deep.json"
    deep.write_text("[" * 70000 + "]" * 70000)
    bigint = tmp / "bigint.json"
    bigint.write_text('{"age_months": ' + "9" * 5000 + "}")
    surrogate = tmp / "surrogate.json"
    surrogate.write_text('{"age_months": 30, "symptoms": ["\\ud800"]}')
    return [
        ("negative age", ["plan", "--age", "-3"]),
        ("SMA type 9", ["plan", "--age", "30m", "--type", "9"]),
        ("age of 200 years", ["plan", "--age", "200y"]),
        ("pregnancy for a toddler", ["plan", "--age", "2y", "--pregnancy", "pregnant"]),
        ("unknown region", ["plan", "--age", "2y", "--region", "JP"]),
        ("weight below zero", ["plan", "--age", "2y", "--weight", "-3"]),
        ("profile file missing", ["plan", "--profile", str(tmp / "missing.json")]),
        ("profile nested 70,000 deep", ["plan", "--profile", str(deep)]),
        ("profile with a 5,000-digit integer", ["plan", "--profile", str(bigint)]),
        ("profile with a lone surrogate", ["plan", "--profile", str(surrogate)]),
        ("profile that is binary", ["plan", "--profile", str(binary)]),
        ("plan output into a folder", ["plan", "--age", "2y", "-o", str(tmp / "folder")]),
        ("unknown format", ["plan", "--age", "2y", "--format", "docx"]),
        ("empty query", ["search", ""]),
        ("query over 1,000 characters", ["search", "x" * 1001]),
        ("limit 0", ["search", "spit", "--limit", "0"]),
        ("unknown treatment", ["show", "unobtainium"]),
        ("empty export format", ["export", "--format", ""]),
        ("export --json with csv", ["export", "--format", "csv", "--json"]),
        ("ingest a missing file", ["ingest", str(tmp / "missing.txt")]),
        ("ingest a binary file", ["ingest", str(binary)]),
        ("ingest with negative workers", ["ingest", str(binary), "--workers", "-1"]),
        ("ingest with a negative batch size", ["ingest", str(binary), "--batch-size", "-3"]),
        ("malformed scheduler", ["ingest", str(binary), "--scheduler", "no-port"]),
        ("closed scheduler port", ["ingest", str(binary), "--scheduler", "tcp://127.0.0.1:9"]),
        ("review an unknown id", ["review", "--accept", "x-nothing"]),
        ("review an unknown status", ["review", "--status", "maybe"]),
        ("database is a folder", ["--db", str(tmp / "folder"), "treatments"]),
        ("database is not SQLite", ["--db", str(notsqlite), "treatments"]),
        ("database under a file", ["--db", str(notsqlite / "x.db"), "treatments"]),
        ("database folder missing", ["--db", str(tmp / "no" / "dir" / "x.db"), "treatments"]),
    ]


def bad_cli(tmp: Path, db: Path) -> Row:
    cases = cli_cases(tmp)
    bad = []
    for name, args in cases:
        if args[0] == "--db":
            r = subprocess.run(
                [sys.executable, "-m", "smanav", *args],
                capture_output=True,
                text=True,
                timeout=300,
                env={k: v for k, v in os.environ.items() if k != "SMANAV_DB"},
            )
        else:
            r = smanav(args, db)
        text = r.stdout + r.stderr
        if r.returncode != 2 or "Traceback" in text or not r.stderr.strip():
            bad.append(f"{name}: exit {r.returncode}: {text.strip()[-200:]}")
    return Row(
        "bad CLI input",
        "hostile and careless command lines (" + ", ".join(n for n, _ in cases[:6]) + ", …)",
        len(cases),
        f"{len(cases) - len(bad)} exit 2 with a sentence; {len(bad)} did not",
        not bad,
        bad,
    )


# --- crash points --------------------------------------------------------------------
def _check_db(db: Path) -> list[str]:
    problems = []
    conn = sqlite3.connect(db)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            problems.append("integrity_check failed")
        half = conn.execute(
            "SELECT count(*) FROM ingest_documents d WHERE NOT EXISTS "
            "(SELECT 1 FROM documents x WHERE x.source_id = d.source_id)"
        ).fetchone()[0]
        if half:
            problems.append(f"{half} documents registered without their text")
        orphans = conn.execute(
            "SELECT count(*) FROM review_queue q WHERE NOT EXISTS "
            "(SELECT 1 FROM ingest_documents d WHERE d.source_id = q.source_id)"
        ).fetchone()[0]
        if orphans:
            problems.append(f"{orphans} queued assertions without their document")
    finally:
        conn.close()
    return problems


def crash_trials(tmp: Path, base_db: Path, trials: int) -> list[Row]:
    docs = corpus(tmp / "crash-docs", 120)
    rng = random.Random(0)
    rows = []
    for what in ("ingest", "review --accept-all", "db build"):
        failures: list[str] = []
        killed = 0
        args = {
            "ingest": ["ingest", str(docs)],
            "review --accept-all": ["review", "--accept-all", "--json"],
            "db build": ["db", "build"],
        }[what]
        # How long the command takes uninterrupted, so the kill lands inside it.
        probe = tmp / f"probe-{what.split()[0]}.db"
        shutil.copy(base_db, probe)
        if what != "ingest":
            smanav(["ingest", str(docs)], probe)
        t0 = time.monotonic()
        smanav(args, probe)
        took = time.monotonic() - t0
        for t in range(trials):
            db = tmp / f"crash-{what.split()[0]}-{t}.db"
            shutil.copy(base_db, db)
            if what != "ingest":
                smanav(["ingest", str(docs)], db)  # something to review and to keep
            env = {**os.environ, "SMANAV_DB": str(db), "PYTHONWARNINGS": "ignore"}
            proc = subprocess.Popen(
                [sys.executable, "-m", "smanav", *args],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(rng.uniform(0.1, 0.95) * took)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed += 1
            proc.wait()
            problems = _check_db(db)
            rerun = smanav(args if what != "review --accept-all" else ["review", "--json"], db)
            if rerun.returncode != 0:
                problems.append(f"rerun exit {rerun.returncode}: {rerun.stderr[-200:]}")
            if what == "review --accept-all":
                # Every decision stored is whole: an accepted row has its assertion.
                conn = sqlite3.connect(db)
                lost = conn.execute(
                    "SELECT count(*) FROM review_queue q WHERE q.status = 'accepted' AND NOT "
                    "EXISTS (SELECT 1 FROM assertions a WHERE a.id = q.id)"
                ).fetchone()[0]
                conn.close()
                if lost:
                    problems.append(f"{lost} accepted decisions without their statement")
            failures += [f"trial {t}: {p}" for p in problems]
        rows.append(
            Row(
                "crash points",
                f"`kill -9` at a random moment of `{what}` on 120 documents (10–95 % of "
                f"its {took:.1f} s uninterrupted run)",
                trials,
                f"{killed} killed mid-run; {trials - len({f.split(':')[0] for f in failures})}"
                " left an intact file and a rerun that finished",
                not failures,
                failures,
            )
        )
    return rows


# --- concurrency ---------------------------------------------------------------------
def concurrency(tmp: Path, base_db: Path, rounds: int) -> Row:
    db = tmp / "concurrent.db"
    shutil.copy(base_db, db)
    folders = [corpus(tmp / f"conc-{i}", 40) for i in range(2)]
    env = {**os.environ, "SMANAV_DB": str(db), "PYTHONWARNINGS": "ignore"}
    commands = [
        ["ingest", str(folders[0])],
        ["ingest", str(folders[1])],
        ["review", "--accept-all", "--json"],
        ["db", "build"],
    ]
    tracebacks, said_busy, done, total = [], 0, 0, 0
    for r in range(rounds):
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "smanav", *c],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for c in commands
        ]
        for c, p in zip(commands, procs, strict=True):
            _, err = p.communicate(timeout=600)
            total += 1
            if "Traceback" in err:
                tracebacks.append(f"round {r}: {' '.join(c[:2])}: {err.strip()[-300:]}")
            elif p.returncode == 0:
                done += 1
            elif p.returncode == 2 and "another smanav" in err.casefold():
                said_busy += 1
            else:
                tracebacks.append(
                    f"round {r}: {' '.join(c[:2])}: exit {p.returncode}: {err[-200:]}"
                )
    problems = _check_db(db)
    return Row(
        "concurrency",
        "2 × ingest + review --accept-all + db build started at once on one database",
        total,
        f"{done} finished, {said_busy} told another process was writing (exit 2), "
        f"{len(tracebacks)} other; file {'intact' if not problems else 'damaged'}",
        not tracebacks and not problems,
        tracebacks + problems,
    )


# --- hostile HTTP and load --------------------------------------------------------------
def fuzz(examples: int) -> Row:
    files = [
        f for f in ("tests/test_fuzz_api.py", "tests/test_fuzz_fhir.py") if (ROOT / f).is_file()
    ]
    if not files:
        return Row("hostile HTTP", "fuzz tests", 0, "not present", False)
    env = {**os.environ, "SMANAV_FUZZ_EXAMPLES": str(examples)}
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    summary = (r.stdout.strip().splitlines() or ["?"])[-1]
    return Row(
        "hostile HTTP",
        f"schemathesis over every OpenAPI operation and generated FHIR/CDS bodies "
        f"(valid skeletons, wrong JSON types at every level), {examples} examples per test",
        examples,
        f"pytest: {summary} (pass mark: no 5xx, no traceback, the one error shape)",
        r.returncode == 0,
        [] if r.returncode == 0 else [r.stdout[-2000:]],
    )


def load() -> Row | None:
    f = ROOT / "bench" / "load.json"
    if not f.is_file():
        return None
    data = json.loads(f.read_text())
    return Row(
        "load",
        data.get("tried", "50 clients for 60 s on /api/plan, /api/search, /plan, /plan.pdf"),
        int(data.get("requests", 0)),
        data.get("result", ""),
        bool(data.get("ok", True)),
    )


def write(rows: list[Row], seconds: float) -> None:
    lines = [
        "# Robustness: what was tried, and what happened",
        "",
        "Made by `.venv-test/bin/python scripts/robustness.py` "
        f"({time.strftime('%Y-%m-%d')}, {seconds:.0f} s on the 2-core machine); the test "
        "command runs bounded versions of each part.",
        "",
        "| area | what was tried | count | result | pass |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.area} | {r.tried} | {r.count:,} | {r.result} | {'yes' if r.ok else '**no**'} |"
        )
    failing = [r for r in rows if r.details]
    if failing:
        lines += ["", "## Details of what did not pass", ""]
        for r in failing:
            lines.append(f"### {r.area}")
            lines += [f"- {d}" for d in r.details[:20]]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer trials (a minute or two)")
    ap.add_argument("--examples", type=int, help="fuzz examples per test (default 1000)")
    ap.add_argument("--trials", type=int, help="kill -9 trials per command (default 17)")
    ap.add_argument("--rounds", type=int, help="rounds of concurrent writers (default 8)")
    args = ap.parse_args()
    examples = args.examples or (50 if args.quick else 1000)
    trials = args.trials or (3 if args.quick else 17)
    rounds = args.rounds or (2 if args.quick else 8)
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        base = tmp / "base.db"
        built = smanav(["db", "build"], base)
        if built.returncode != 0:
            sys.exit(f"could not build a knowledge base: {built.stderr}")
        rows = [bad_cli(tmp, base)]
        rows.append(fuzz(examples))
        rows += crash_trials(tmp, base, trials)
        rows.append(concurrency(tmp, base, rounds))
        lr = load()
        if lr:
            rows.append(lr)
    write(rows, time.monotonic() - start)
    print(OUT.read_text())
    sys.exit(0 if all(r.ok for r in rows) else 1)


if __name__ == "__main__":
    main()
