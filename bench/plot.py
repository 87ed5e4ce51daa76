"""Draw bench/memory.json as a small SVG (docs/scale-memory.svg): wall time over the
floor and peak memory of each command against corpus size, before and after.

    python bench/plot.py                       # bench/memory.json -> docs/scale-memory.svg

Written out by hand (about 100 lines of SVG) so the plot needs no plotting library; the
x axis is logarithmic (1, 10, 50 MB ...). "Before" is the README's earlier table,
measured the same way (bench/memory.py, floor in the same run).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
#: bench/memory.py before issue 14's memory work (its first table, 2 shared cores).
BEFORE: dict[str, dict[float, tuple[float, float]]] = {
    # command: {MB: (time / floor, peak RSS MB)}
    "ingest": {1: (19.6 / 1.1, 226), 10: (12.4, 232)},
    "ingest_w2": {1: (36.6 / 1.1, 579), 10: (9.0, 622)},
}
SERIES = {  # command: (label, colour)
    "extract_json": ("extract --json", "#6a3d9a"),
    "extract_jsonl": ("extract --jsonl", "#1b6ca8"),
    "ingest": ("ingest", "#b35900"),
    "ingest_w2": ("ingest --workers 2", "#2e7d32"),
}
W, H, PAD = 340, 240, 48


def _panel(
    x0: int,
    title: str,
    sizes: list[float],
    points: dict[str, list[tuple[float, float]]],
    limit: float,
    limit_label: str,
) -> list[str]:
    """One chart: a line per series, dashed for the `before` ones, and the target line."""
    ymax = max([limit * 1.25] + [y for pts in points.values() for _, y in pts]) * 1.1
    lo, hi = math.log10(min(sizes)), math.log10(max(sizes))
    span = (hi - lo) or 1.0

    def px(mb: float) -> float:
        return x0 + PAD + (math.log10(mb) - lo) / span * (W - 2 * PAD)

    def py(v: float) -> float:
        return H - PAD - v / ymax * (H - 2 * PAD)

    out = [
        f'<text x="{x0 + W / 2}" y="18" text-anchor="middle" font-weight="bold">{title}</text>',
        f'<line x1="{x0 + PAD}" y1="{H - PAD}" x2="{x0 + W - PAD}" y2="{H - PAD}" stroke="#333"/>',
        f'<line x1="{x0 + PAD}" y1="{PAD}" x2="{x0 + PAD}" y2="{H - PAD}" stroke="#333"/>',
        f'<line x1="{x0 + PAD}" y1="{py(limit):.1f}" x2="{x0 + W - PAD}" y2="{py(limit):.1f}" '
        'stroke="#c62828" stroke-dasharray="2,3"/>',
        f'<text x="{x0 + W - PAD}" y="{py(limit) - 4:.1f}" text-anchor="end" fill="#c62828">'
        f"{limit_label}</text>",
        f'<text x="{x0 + W / 2}" y="{H - 10}" text-anchor="middle">corpus (MB, log scale)</text>',
    ]
    for mb in sizes:
        out.append(f'<text x="{px(mb):.1f}" y="{H - PAD + 14}" text-anchor="middle">{mb:g}</text>')
    for v in (ymax * i / 4 for i in range(5)):
        out.append(f'<text x="{x0 + PAD - 4}" y="{py(v) + 4:.1f}" text-anchor="end">{v:.0f}</text>')
    for key, pts in points.items():
        name, before = key.removesuffix(" before"), key.endswith(" before")
        _, colour = SERIES[name]
        path = " ".join(f"{px(m):.1f},{py(v):.1f}" for m, v in pts)
        dash = ' stroke-dasharray="5,4"' if before else ""
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
        )
        for m, v in pts:
            fill = "white" if before else colour
            out.append(
                f'<circle cx="{px(m):.1f}" cy="{py(v):.1f}" r="3" fill="{fill}" stroke="{colour}"/>'
            )
    return out


def draw(rows: list[dict[str, Any]]) -> str:
    """The SVG text: time over floor (left) and peak memory, PSS of the tree (right)."""
    sizes = [r["mb"] for r in rows]
    ratio: dict[str, list[tuple[float, float]]] = {}
    memory: dict[str, list[tuple[float, float]]] = {}
    for name in SERIES:
        have = [r for r in rows if name in r]
        if have:
            ratio[name] = [
                (r["mb"], r[name]["seconds"] / r[name].get("floor_seconds", r["floor"]["seconds"]))
                for r in have
            ]
            memory[name] = [(r["mb"], r[name].get("peak_pss_mb", r[name]["peak_mb"])) for r in have]
        if name in BEFORE:
            old = sorted(BEFORE[name].items())
            ratio[f"{name} before"] = [(m, t) for m, (t, _) in old]
            memory[f"{name} before"] = [(m, mem) for m, (_, mem) in old]
    legend = []
    for i, (label, colour) in enumerate(SERIES.values()):
        y = H + 16 + 16 * i
        legend.append(
            f'<line x1="{PAD}" y1="{y - 4}" x2="{PAD + 24}" y2="{y - 4}" stroke="{colour}" '
            f'stroke-width="2"/><text x="{PAD + 30}" y="{y}">{label}</text>'
        )
    legend.append(
        f'<text x="{W + PAD}" y="{H + 16}">dashed, hollow: before; solid: after</text>'
        f'<text x="{W + PAD}" y="{H + 32}">memory: PSS of the process tree '
        "(before: summed RSS)</text>"
    )
    body = [
        *_panel(0, "wall time / floor", sizes, ratio, 8, "8x target"),
        *_panel(W, "peak memory (MB)", sizes, memory, 400, "400 MB target"),
        *legend,
    ]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * W}" height="{H + 70}" '
        f'viewBox="0 0 {2 * W} {H + 70}" font-family="sans-serif" font-size="11" '
        'role="img" aria-labelledby="t"><title id="t">smanav ingest and extract: wall time '
        "over the parse-and-insert floor and peak memory against corpus size</title>"
        f'<rect width="{2 * W}" height="{H + 70}" fill="white"/>' + "".join(body) + "</svg>\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, default=HERE / "memory.json")
    ap.add_argument("--out", type=Path, default=HERE.parent / "docs" / "scale-memory.svg")
    args = ap.parse_args()
    rows = sorted(json.loads(args.json.read_text("utf-8")), key=lambda r: r["mb"])
    args.out.write_text(draw(rows), encoding="utf-8")
    print(args.out)


if __name__ == "__main__":
    main()
