#!/usr/bin/env python3
"""Benchmark deck's builds against the floor measured in the same run.

    python bench/run.py            # prints a table
    python bench/run.py --write    # also rewrites bench/RESULTS.md

Every measurement is a fresh process (wall time and its own peak RSS via wait4), on a temporary
copy of the project so that edits never touch the real sources. Targets are ratios to the floor:
`python -c "import torch, torchvision, matplotlib, weasyprint"`, and WeasyPrint rendering the final
print HTML alone.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def measure(cmd: list[str], cwd: Path, env: dict | None = None, repeat: int = 1) -> tuple[float, float]:
    """Best wall time (s) and peak RSS (MiB) of a command over `repeat` runs."""
    best, peak = float("inf"), 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})},
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        err = proc.stderr.read().decode() if proc.stderr else ""
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise SystemExit(f"failed: {' '.join(cmd)}\n{err}")
        best, peak = min(best, elapsed), max(peak, usage.ru_maxrss / 1024)
    return best, peak


def generated_deck(n_slides: int) -> str:
    """A deck of n slides like a real lecture: prose, a list, a small live cell, math every 4th."""
    parts = ["---\ntitle: Generated\nlang: fr\n---\n```{python}\n#| echo: false\nimport torch, torch.nn as nn\n```\n"]
    for i in range(n_slides - 1):
        math = f"\n$$y_{{{i}}} = \\sum_i w_i x_i$$\n" if i % 4 == 0 else ""
        parts.append(f"""
---
# Diapositive {i + 1}

- Une couche dense de {i + 1} neurones : `{{py}} nparams(nn.Linear(64, {i + 1}))` poids
- Texte ordinaire, *emphase*, **gras**.
{math}
```{{python}}
#| output: comment
#| meta: true
shape(nn.Linear(64, {i + 1})(torch.randn(8, 64)))
```
""")
    return "".join(parts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true", help="rewrite bench/RESULTS.md")
    ap.add_argument("--repeat", type=int, default=2, help="runs per measurement (best time kept)")
    args = ap.parse_args()
    rows: list[tuple[str, float, float, str]] = []
    work = Path(tempfile.mkdtemp(prefix="deck-bench-"))
    try:
        shutil.copytree(ROOT / "slides_src", work / "slides_src")
        deck = work / "slides_src" / "recap2_convnets.md"
        cache = work / "cache"
        env = {"DECK_CACHE_DIR": str(cache), "NO_COLOR": "1"}
        build = [PY, str(ROOT / "build.py"), "--root", str(work)]

        floor, floor_rss = measure([PY, "-c", "import torch, torchvision, matplotlib, weasyprint"], work, repeat=args.repeat)
        rows.append(("floor: import torch, torchvision, matplotlib, weasyprint", floor, floor_rss, ""))

        def cold(extra: list[str]) -> tuple[float, float]:
            best, peak = float("inf"), 0.0
            for _ in range(args.repeat):
                shutil.rmtree(cache, ignore_errors=True)
                t, r = measure(build + extra, work, env)
                best, peak = min(best, t), max(peak, r)
            return best, peak

        t, r = cold(["recap2_convnets"])
        rows.append(("flagship cold build, HTML+PDF", t, r, f"{t / floor:.2f}x floor (target <= 2x); RSS target < 800 MiB"))
        # The print HTML, for WeasyPrint's own floor.
        print_html = work / "print.html"
        subprocess.run([PY, "-c", (
            "import sys; from pathlib import Path; sys.path.insert(0, %r)\n"
            "from deck.pipeline import BuildOptions; from deck.source import parse_file; from deck.execute import execute\n"
            "from deck.render.documents import render_slides, print_document\n"
            "d = parse_file(Path(%r), Path(%r)); execute(d)\n"
            "Path(%r).write_text(print_document(d, render_slides(d, Path(%r))))") % (
                str(ROOT), str(deck), str(work), str(print_html), str(work))], check=True, cwd=work,
            env={**os.environ, **env}, stderr=subprocess.DEVNULL)
        wp, wp_rss = measure([PY, "-c", f"from weasyprint import HTML; HTML(filename={str(print_html)!r}).write_pdf('/dev/null')"],
                             work, repeat=args.repeat)
        rows.append(("floor: WeasyPrint renders the final print HTML alone", wp, wp_rss, ""))

        t, r = measure(build + ["recap2_convnets"], work, env, args.repeat)
        rows.append(("flagship rebuild, nothing changed", t, r, f"{t / floor:.2f}x import floor"))
        text = deck.read_text(encoding="utf-8")
        for k in range(args.repeat):
            deck.write_text(text.replace("Deux exemples « star »", f"Deux exemples « star » ({k})"), encoding="utf-8")
            t1, r1 = measure(build + ["recap2_convnets"], work, env)
            t = t1 if k == 0 else min(t, t1)
            r = r1 if k == 0 else max(r, r1)
        rows.append(("flagship rebuild after a prose edit, HTML+PDF", t, r, f"{t / floor:.2f}x floor (target <= 1.4x)"))
        for k in range(args.repeat):
            deck.write_text(text.replace("y = conv(torch.randn(32, 1, 60, 64, 64))",
                                         f"y = conv(torch.randn(32, 1, 60, 64, 64))  # edit {k}"), encoding="utf-8")
            t1, r1 = measure(build + ["recap2_convnets"], work, env)
            t = t1 if k == 0 else min(t, t1)
            r = r1 if k == 0 else max(r, r1)
        rows.append(("flagship rebuild after a code edit (Conv3d slide, 6th of 16), HTML+PDF", t, r, f"{t / floor:.2f}x floor"))
        deck.write_text(text, encoding="utf-8")
        measure(build + ["recap2_convnets"], work, env)
        t, r = measure(build + ["recap2_convnets", "--html-only"], work, env, args.repeat)
        rows.append(("flagship HTML only, warm cache", t, r, f"{t / floor:.2f}x floor"))
        t, r = cold(["recap2_convnets", "--html-only"])
        rows.append(("flagship HTML only, cold", t, r, f"{t / floor:.2f}x floor"))
        t, r = measure(build + ["recap2_convnets", "--check"], work, env, args.repeat)
        rows.append(("flagship --check (with page layout), warm", t, r, f"{t / floor:.2f}x floor"))
        t, r = cold(["recap2_convnets", "--check", "--no-layout"])
        rows.append(("flagship --check --no-layout, cold", t, r, f"{t / floor:.2f}x floor"))

        per_page = {}
        for n in (50, 100, 200):
            (work / "slides_src" / f"gen{n}.md").write_text(generated_deck(n), encoding="utf-8")
            t, r = cold([f"gen{n}"])
            rows.append((f"generated {n}-slide deck, cold, HTML+PDF", t, r, ""))
            t_html, _ = measure(build + [f"gen{n}", "--html-only"], work, env)
            t_pdf, _ = measure(build + [f"gen{n}", "--pdf-only"], work, env)
            per_page[n] = (t_pdf - t_html) / n
            rows.append((f"generated {n}-slide deck, warm: PDF part per page", per_page[n], 0.0,
                         f"{per_page[n] * 1000:.0f} ms/page (target <= 40 ms)"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = format_table(rows)
    print(table)
    if args.write:
        write_results(table)
    return 0


def format_table(rows) -> str:
    lines = ["| measurement | seconds | peak RSS (MiB) | note |", "|---|---:|---:|---|"]
    for name, t, r, note in rows:
        lines.append(f"| {name} | {t:.3f} | {r:.0f} | {note} |" if r else f"| {name} | {t:.3f} | | {note} |")
    return "\n".join(lines)


def machine() -> str:
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    from importlib.metadata import version

    libs = ", ".join(f"{d} {version(d)}" for d in ("torch", "torchvision", "matplotlib", "weasyprint"))
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}, {platform.system()}; {libs}"


def write_results(table: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    head = "<!-- bench:table -->"
    tail = "<!-- /bench:table -->"
    block = f"{head}\nMachine: {machine()}\nDate: {time.strftime('%Y-%m-%d')}\n\n{table}\n{tail}"
    if head in text and tail in text:
        text = text[:text.index(head)] + block + text[text.index(tail) + len(tail):]
    else:
        text = "# Benchmark results\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
