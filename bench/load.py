"""Load and soak test of `smanav serve` (not in the test command).

    .venv-test/bin/python bench/load.py [--seconds 60] [--clients 50] [--db PATH]

Starts `smanav serve` (uvicorn, one worker) on a free loopback port and drives it with
asyncio + httpx clients on the same machine:

1. **search alone**: 4 clients on ``GET /api/search`` for ``--phase-seconds`` (p50/p99);
2. **search beside PDFs**: the same 4 search clients while 4 clients download
   ``POST /plan.pdf`` back to back: search p99 must stay within 2× of (1), since
   PDFs render in a worker process, off the event loop;
3. **mixed load**: ``--clients`` clients for ``--seconds``, spread over
   ``POST /api/plan`` (JSON), ``GET /api/search``, ``POST /plan`` (form) and
   ``POST /plan.pdf``: error rate and p50/p99 per endpoint, and the server's RSS
   (the uvicorn process; PDF workers are separate, recycled processes) before the
   load, after the first 5,000 requests and at the end.

Every request differs (ages, types, queries cycle). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

QUERIES = [
    "drooling",
    "stiff muscles",
    "who can have zolgensma",
    "spinraza side effects",
    "breathing at night",
    "scoliosis surgery",
    "feeding tube",
    "risdiplam",
    "too much saliva",
    "cough assist",
]
TYPES = ["1", "2", "3", "4", "presymptomatic"]
STATUSES = ["non-sitter", "sitter", "walker"]


def profiles() -> itertools.cycle[dict[str, Any]]:
    rows = []
    for i in range(60):
        rows.append(
            {
                "age": f"{3 + i * 5}m",
                "sma_type": TYPES[i % len(TYPES)],
                "functional_status": STATUSES[i % len(STATUSES)],
                "medications": ["baclofen", "sertraline"][: i % 3],
                "symptoms": ["drooling", "scoliosis"][: i % 3],
            }
        )
    return itertools.cycle(rows)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


class Stats:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        #: endpoint -> why requests failed: a status code, or the client's exception.
        self.reasons: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.total = 0

    def row(self, name: str) -> str:
        t = self.times[name]
        n = len(t) + self.errors[name]
        rate = self.errors[name] / n if n else 0.0
        why = ", ".join(f"{k}: {v}" for k, v in sorted(self.reasons[name].items())) or "—"
        return f"| {name} | {n} | {rate:.2%} | {why} | {pct(t, 0.5):.0f} | {pct(t, 0.99):.0f} |"


async def request(client: httpx.AsyncClient, name: str, prof: Any, q: Any) -> str:
    """ "ok", or why not: the status code (503 = told to retry later) or "bad PDF"."""
    if name == "POST /api/plan":
        r = await client.post("/api/plan", json=next(prof))
    elif name == "GET /api/search":
        r = await client.get("/api/search", params={"q": next(q)})
    elif name == "POST /plan (form)":
        r = await client.post("/plan", data=_form(next(prof)))
    else:
        r = await client.post("/plan.pdf", data=_form(next(prof)))
        if r.status_code == 200 and not r.content.startswith(b"%PDF"):
            return "bad PDF"
    return "ok" if r.status_code == 200 else str(r.status_code)


def _form(p: dict[str, Any]) -> dict[str, Any]:
    """The wizard's fields: lists as repeated fields, the rest as text."""
    return {k: v if isinstance(v, list) else str(v) for k, v in p.items() if v != []}


async def drive(
    base: str, names: list[str], clients: int, seconds: float, stats: Stats, on_count: Any = None
) -> None:
    prof, q = profiles(), itertools.cycle(QUERIES)
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def one(i: int) -> None:
            name = names[i % len(names)]
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                try:
                    outcome = await request(client, name, prof, q)
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                if outcome == "ok":
                    stats.times[name].append(time.perf_counter() - t0)
                else:
                    stats.errors[name] += 1
                    stats.reasons[name][outcome] += 1
                stats.total += 1
                if on_count is not None:
                    on_count(stats.total)

        await asyncio.gather(*(one(i) for i in range(clients)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--phase-seconds", type=float, default=15)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--db", type=Path)
    args = ap.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from webtools import free_port

    tmp = tempfile.TemporaryDirectory(prefix="smanav-load-")
    db = args.db or Path(tmp.name) / "smanav.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    exe = Path(sys.executable).with_name("smanav")
    server = subprocess.Popen(
        [str(exe), "--db", str(db), "serve", "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(base + "/api/", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit(
                        f"the server did not start: {server.stderr.read() if server.stderr else ''}"
                    )
                time.sleep(0.3)
        # warm: the KB, search index and one PDF worker
        httpx.post(base + "/plan.pdf", data={"age": "30m"}, timeout=60)
        rss: dict[str, float] = {"start": rss_mb(server.pid)}

        alone = Stats()
        asyncio.run(drive(base, ["GET /api/search"], 4, args.phase_seconds, alone))
        beside = Stats()
        mixed_names = ["GET /api/search"] * 4 + ["POST /plan.pdf"] * 4
        asyncio.run(drive(base, mixed_names, 8, args.phase_seconds, beside))

        rss["before"] = rss_mb(server.pid)

        def mark(total: int) -> None:
            if total == 5000:
                rss["after 5,000"] = rss_mb(server.pid)

        mixed = Stats()
        names = ["POST /api/plan", "GET /api/search", "POST /plan (form)", "POST /plan.pdf"]
        asyncio.run(drive(base, names, args.clients, args.seconds, mixed, mark))
        rss["end"] = rss_mb(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
            stopped = "stopped on SIGTERM"
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            stopped = "did not stop within 30 s of SIGTERM (killed)"
        tmp.cleanup()

    a, b = alone.times["GET /api/search"], beside.times["GET /api/search"]
    print(f"cores: {os.cpu_count()}; server: smanav serve (uvicorn, 1 worker, 1 PDF worker)\n")
    print("| search, 4 clients | requests | p50 ms | p99 ms |")
    print("|---|---|---|---|")
    print(f"| alone | {len(a)} | {pct(a, 0.5):.1f} | {pct(a, 0.99):.1f} |")
    print(f"| beside 4 PDF clients | {len(b)} | {pct(b, 0.5):.1f} | {pct(b, 0.99):.1f} |")
    print(
        f"\nsearch p99 ratio: {pct(b, 0.99) / pct(a, 0.99):.2f}× (PDFs beside: "
        f"{len(beside.times['POST /plan.pdf'])})\n"
    )
    head = f"| {args.clients} clients, {args.seconds:g} s"
    print(f"{head} | requests | not 200 | why | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|")
    for name in names:
        print(mixed.row(name))
    print(f"\nrequests in all: {mixed.total} ({mixed.total / args.seconds:.0f}/s)")
    print("server RSS (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()))
    print(f"server {stopped}")
    # For scripts/robustness.py's table: failures other than "retry later" (503) count.
    failed = sum(v for n in names for k, v in mixed.reasons[n].items() if k != "503")
    shed = sum(mixed.reasons[n].get("503", 0) for n in names)
    ratio = pct(b, 0.99) / pct(a, 0.99)
    (ROOT / "bench" / "load.json").write_text(
        json.dumps(
            {
                "tried": f"{args.clients} clients for {args.seconds:g} s on /api/plan, "
                "/api/search, /plan (form) and /plan.pdf against smanav serve (1 worker); "
                "search beside 4 PDF clients",
                "requests": mixed.total,
                "result": f"{failed} failed, {shed} PDFs told to retry later (503); search p99 "
                f"beside PDFs {ratio:.2f}× alone; server RSS "
                + ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items())
                + f"; server {stopped}",
                "ok": failed == 0 and ratio <= 2.0,
            },
            indent=1,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
