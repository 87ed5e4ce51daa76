"""Requests per second and p99 latency of the API under wrk, against a bare endpoint.

    .venv-test/bin/python bench/api.py [--seconds 10] [--connections 16] [--workers 1]

One uvicorn server (the one ``smanav serve`` runs, same worker count) serves the real
app plus two bare endpoints that return a constant (``GET /bare`` and ``POST /bare``,
which reads its body), behind the same middleware (security headers, body limit).
wrk (Debian) drives each endpoint in turn in the same run, so the bare endpoints are
the floor of the stack on this machine, and the ratio says what smanav's own work
costs. Every request differs from the one before (a wrk Lua script cycles through
the lists), so nothing can be answered from a cache:

- ``POST /api/plan``: 124 different profiles (4 written by hand, 120 random valid ones
  from ``bench/plan.py``: text ages, lay words, brands); profile parsing, name
  resolution, rules, evidence, JSON. ``POST /bare`` reads the same bodies.
- ``GET /api/search``: 100+ different queries built from the knowledge base's names,
  everyday words and brands; FTS5 queries and ranking. ``GET /bare`` gets the same
  query strings.

Before the load, every body and query is sent once and must answer 200. wrk and the
server share the machine's cores, as they would on one box.

``--in-process`` says where a request's time goes instead: the same requests sent
straight to the ASGI app (no sockets, no wrk), next to the library call alone and
the JSON encoding alone, as CPU time per request (best of 7 rounds).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import Response

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BARE_BODY = b'{"ok":true}'

PROFILES = [
    {"age": "8m", "sma_type": 1, "functional_status": "non-sitter", "symptoms": ["drooling"]},
    {"age": "30m", "sma_type": 2, "functional_status": "sitter", "symptoms": ["curved back"]},
    {"age": "12y", "sma_type": 3, "functional_status": "walker", "medications": ["baclofen"]},
    {
        "age": "3y",
        "sma_type": 2,
        "symptoms": ["too much saliva", "trouble swallowing"],
        "medications": ["Evrysdi", "metformin"],
        "alcohol_use": False,
    },
]
QUERIES = [
    "what helps with drooling",
    "stiff muscles",
    "Zolgensma age",
    "feeding tube",
    "breathing support at night",
    "spinraza side effects",
]
#: How many random profiles join the hand-written ones.
RANDOM_PROFILES = 120


def plan_bodies(kb: Any) -> list[str]:
    """Distinct plan bodies: the hand-written profiles, then random valid ones."""
    from plan import random_profiles  # bench/plan.py, next to this file

    bodies = [json.dumps(p) for p in PROFILES + random_profiles(kb, RANDOM_PROFILES, seed=1)]
    return list(dict.fromkeys(bodies))


def search_queries(kb: Any) -> list[str]:
    """Distinct queries as people type them: names, everyday words, brands, questions."""
    out = list(QUERIES)
    for c in kb.symptoms():
        out.append(c.name.lower())
        out += [f"what helps with {t}" for t in c.lay_terms[:2]]
    for c in kb.treatments():
        out.append(c.name)
        out += [f"{b} side effects" for b in c.brands[:1]]
        out.append(f"who can have {c.name.lower()}")
    return list(dict.fromkeys(out))


def bench_app() -> FastAPI:
    """The real app plus the constant endpoints (uvicorn --factory bench.api:bench_app)."""
    from smanav.web import create_app

    app = create_app(os.environ["SMANAV_DB"])

    async def bare_get() -> Response:
        return Response(BARE_BODY, media_type="application/json")

    async def bare_post(request: Request) -> Response:
        await request.body()
        return Response(BARE_BODY, media_type="application/json")

    # Ahead of the page routes, like the API routes are.
    app.router.add_api_route("/bare", bare_get, methods=["GET"], include_in_schema=False)
    app.router.add_api_route("/bare", bare_post, methods=["POST"], include_in_schema=False)
    app.router.routes.insert(0, app.router.routes.pop())
    app.router.routes.insert(0, app.router.routes.pop())
    return app


def lua_rotate_get(paths: list[str]) -> str:
    items = ", ".join(json.dumps(p) for p in paths)
    return f"""
local paths = {{{items}}}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def lua_rotate_post(path: str, bodies: list[str]) -> str:
    items = ", ".join(json.dumps(b) for b in bodies)
    return f"""
local bodies = {{{items}}}
local i = 0
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", {json.dumps(path)}, nil, bodies[i])
end
"""


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def run_wrk(url: str, script: str, seconds: int, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
        lua = fh.name
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", lua, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(lua)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out)
    assert p99 is not None, out
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * _UNITS[p99.group(2)],
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def preflight(base: str, searches: list[str], bodies: list[str]) -> None:
    """Every request of the run once: all must answer 200, or the figures mean nothing."""
    for path in searches:
        with urllib.request.urlopen(base + path, timeout=30) as r:
            assert r.status == 200, path
    for body in bodies:
        req = urllib.request.Request(
            base + "/api/plan", body.encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200, body


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server at {url} did not come up")


def in_process(kb: Any, searches: list[str], bares: list[str], bodies: list[str]) -> None:
    """CPU time per request, straight through the ASGI app, beside its parts."""
    import asyncio
    from urllib.parse import unquote

    from smanav.plan import make_plan
    from smanav.search import search
    from smanav.web.templating import json_response

    app = bench_app()

    async def call(method: str, target: str, body: bytes = b"") -> None:
        path, _, query = target.partition("?")
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = []

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        headers = [(b"host", b"bench"), (b"content-type", b"application/json")]
        headers.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": query.encode(), "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
        }  # fmt: skip
        await app(scope, receive, send)
        assert status == [200], (target, status)

    loop = asyncio.new_event_loop()
    raw = [b.encode() for b in bodies]
    profiles = [json.loads(b) for b in bodies]
    plans = [make_plan(p, kb) for p in profiles]
    words = [unquote(q.partition("=")[2]) for q in searches]
    steps: list[tuple[str, list[Any], Any]] = [
        ("POST /bare", raw, lambda b: loop.run_until_complete(call("POST", "/bare", b))),
        ("POST /api/plan", raw, lambda b: loop.run_until_complete(call("POST", "/api/plan", b))),
        ("  make_plan(profile, kb)", profiles, lambda p: make_plan(p, kb)),
        ("  JSON of the plan (orjson)", plans, json_response),
        ("GET /bare", bares, lambda t: loop.run_until_complete(call("GET", t))),
        ("GET /api/search", searches, lambda t: loop.run_until_complete(call("GET", t))),
        ("  search(q, kb)", words, lambda q: search(q, kb, limit=10)),
    ]
    best = {name: float("inf") for name, _, _ in steps}
    for _ in range(7):
        for name, items, fn in steps:
            t0 = time.process_time()
            for item in items:
                fn(item)
            best[name] = min(best[name], (time.process_time() - t0) / len(items))
    print("CPU time per request, in-process (best of 7 rounds over every body/query)")
    for name, seconds in best.items():
        print(f"{name:<30} {seconds * 1e6:8.0f} µs")
    size = sum(len(json_response(p).body) for p in plans) / len(plans)
    print(f"a plan is {size / 1000:.0f} kB of JSON on average")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--in-process", action="store_true", help="where the time goes, without wrk or sockets"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None and not args.in_process:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    from smanav.store import build, open_kb

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "smanav.db"
        build(db, CORPUS if CORPUS.is_dir() else None)
        kb = open_kb(db)
        searches = [f"/api/search?q={quote(q)}" for q in search_queries(kb)]
        bares = [f"/bare?q={quote(q)}" for q in search_queries(kb)]
        bodies = plan_bodies(kb)
        env = {**os.environ, "SMANAV_DB": str(db)}
        if args.in_process:
            os.environ["SMANAV_DB"] = str(db)
            in_process(kb, searches, bares, bodies)
            return
        server = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "--factory", "api:bench_app",
                "--app-dir", str(Path(__file__).parent), "--host", "127.0.0.1",
                "--port", str(args.port), "--workers", str(args.workers),
                "--log-level", "warning", "--no-access-log",
            ],
            env=env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{args.port}"
        try:
            wait_up(f"{base}/bare")
            preflight(base, searches, bodies)
            runs: list[tuple[str, str, str]] = [
                ("GET /bare", "/bare", lua_rotate_get(bares)),
                ("GET /api/search", "/", lua_rotate_get(searches)),
                ("POST /bare", "/bare", lua_rotate_post("/bare", bodies)),
                ("POST /api/plan", "/", lua_rotate_post("/api/plan", bodies)),
            ]
            for _, _, script in runs:  # warm up: caches, indexes, JIT-free but lazy imports
                run_wrk(base + "/", script, 2, args.connections)
            results: dict[str, dict[str, float]] = {}
            for name, _, script in runs:
                results[name] = run_wrk(base + "/", script, args.seconds, args.connections)
        finally:
            server.terminate()
            server.wait(timeout=30)

    ratios = {
        "search / bare GET": results["GET /api/search"]["rps"] / results["GET /bare"]["rps"],
        "plan / bare POST": results["POST /api/plan"]["rps"] / results["POST /bare"]["rps"],
    }
    report: dict[str, Any] = {
        "server": f"uvicorn, {args.workers} worker(s)",
        "load": f"wrk -t1 -c{args.connections} -d{args.seconds}s",
        "distinct": {"plan bodies": len(bodies), "search queries": len(searches)},
        "cpus": os.cpu_count(),
        "results": results,
        "ratios": ratios,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{report['server']}; {report['load']}; {report['cpus']} CPUs shared with wrk")
    print(f"{len(bodies)} distinct plan bodies, {len(searches)} distinct search queries, cycled")
    print(f"{'endpoint':<18} {'req/s':>9} {'p99 ms':>8} {'non-2xx':>8}")
    for name, r in results.items():
        print(f"{name:<18} {r['rps']:>9.0f} {r['p99_ms']:>8.1f} {r['non_2xx']:>8.0f}")
    for name, value in ratios.items():
        print(f"ratio {name}: {value:.2f} (target >= 0.50)")


if __name__ == "__main__":
    main()
