#!/usr/bin/env python3
"""Benchmark deck's builds against the floor and the peers, measured in the same run.

    python bench/run.py                 # prints the table
    python bench/run.py --write         # also rewrites the table in bench/RESULTS.md
    python bench/run.py --repeat 5      # medians of 5 runs (default 3)
    python bench/run.py --only offline,pages --before ../main   # some rows, and a checkout of main
                                        # measured in the same rounds (the "before" column)

Every measurement is a fresh process (wall time, and the peak RSS of its process tree via wait4),
on a temporary copy of the project so that edits never touch the real sources. The rows are those
of issues 14 and 22, each beside what it is compared with, measured in the same round (rounds alternate
the commands, so that a slower minute of the machine hits both sides):

- the import floor: `python -c "import torch, torchvision, matplotlib, weasyprint"`;
- the peers in ../shared/peers (see its README; `install.sh` once): nbconvert executing the same
  lecture and printing its reveal.js slides through chromium, Marp (no execution) for HTML and PDF.
  A peer that is not installed is reported as such and its rows left out;
- a prose edit with `DECK_OFFLINE` unset on a machine without network (a proxy that refuses every
  connection stands for the absent network) and no pretrained weights in the hub cache.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
# the peers' folder beside the checkout (../shared/peers), or beside its worktrees' folder
PEERS = Path(os.environ.get("DECK_PEERS") or next(
    (p for p in (ROOT.parent / "shared" / "peers", ROOT.parent.parent / "shared" / "peers") if p.is_dir()),
    ROOT.parent / "shared" / "peers"))
PEERS_VENV = Path(os.environ.get("VENV", "/tmp/peers-venv"))
MARP = Path(os.environ.get("MARP", "/tmp/marp/node_modules/.bin/marp"))
FLAGSHIP = "recap2_convnets"
PROSE = ("Deux exemples « star »", "Deux exemples « star » ({k})")  # a prose edit on one slide (its table of ResNet depths)


def run_once(cmd: list[str], cwd: Path, env: dict | None = None, ok: tuple[int, ...] = (0, 1)) -> tuple[float, float, float]:
    """Wall time (s), peak RSS (MiB) of the command's process tree (the largest of its processes) and
    the CPU time (s, user + system) of the tree: on a machine shared with other work, CPU time moves
    much less with the load than wall time. Exit codes other than `ok` stop the benchmark (deck's
    builds may exit 1 with warnings; a peer must exit 0)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in ok:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{err[:1500]}\n...\n{err[-1500:]}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


class Sample:
    """The runs of one measurement: median time, largest peak RSS."""

    def __init__(self):
        self.times: list[float] = []
        self.rss: list[float] = []
        self.cpus: list[float] = []

    def add(self, measured: tuple) -> None:
        self.times.append(measured[0])
        self.rss.append(measured[1])
        if len(measured) > 2:
            self.cpus.append(measured[2])

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus) if self.cpus else float("nan")

    @property
    def t(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")

    @property
    def peak(self) -> float:
        return max(self.rss) if self.rss else float("nan")


def generated_deck(n_slides: int, marp: bool = False) -> str:
    """A deck of n slides like a real lecture: prose, a list, a small live cell, math every 4th.
    `marp`: the same Markdown for Marp (code shown, not run; values written out)."""
    head = "---\nmarp: true\nmath: katex\n---\n" if marp else "---\ntitle: Generated\nlang: fr\n---\n"
    parts = [head, "```python\nimport torch, torch.nn as nn\n```\n" if marp else
             "```{python}\n#| echo: false\nimport torch, torch.nn as nn\n```\n"]
    for i in range(n_slides - 1):
        math = f"\n$$y_{{{i}}} = \\sum_i w_i x_i$$\n" if i % 4 == 0 else ""
        value = f"{64 * (i + 1) + i + 1}" if marp else f"`{{py}} nparams(nn.Linear(64, {i + 1}))`"
        fence = "```python" if marp else "```{python}\n#| output: comment\n#| meta: true"
        comment = "  # (8, %d)" % (i + 1) if marp else ""
        parts.append(f"""
---
# Diapositive {i + 1}

- Une couche dense de {i + 1} neurones : {value} poids
- Texte ordinaire, *emphase*, **gras**.
{math}
{fence}
shape(nn.Linear(64, {i + 1})(torch.randn(8, 64))){comment}
```
""")
    return "".join(parts)


def peer_available() -> dict[str, str]:
    """Which peers can run here, or why not."""
    state = {}
    state["nbconvert"] = "ok" if (PEERS_VENV / "bin" / "jupyter").exists() and (PEERS / "nbconvert").is_dir() else \
        f"not installed ({PEERS_VENV}/bin/jupyter missing: run {PEERS}/install.sh once)"
    state["marp"] = "ok" if MARP.exists() and (PEERS / "marp").is_dir() else \
        f"not installed ({MARP} missing: run {PEERS}/install.sh once; Marp needs npm)"
    return state


def watch_pdf_latency(work: Path, env: dict, edits: int) -> list[float]:
    """`build.py --watch --pdf`: seconds from saving a prose edit to the new PDF being in place."""
    deck = work / "slides_src" / f"{FLAGSHIP}.md"
    pdf = work / "build" / f"{FLAGSHIP}.pdf"
    text = deck.read_text(encoding="utf-8")
    proc = subprocess.Popen([PY, str(ROOT / "build.py"), "--root", str(work), "--watch", "--pdf", "--port", "0",
                             FLAGSHIP], cwd=work, env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []

    def wait_for(pattern: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                raise SystemExit("--watch --pdf stopped:\n" + "".join(lines))
            lines.append(line)
            if re.search(pattern, line):
                return
        raise SystemExit(f"--watch --pdf: no {pattern!r}:\n" + "".join(lines))

    latencies = []
    try:
        wait_for(r"^built ")
        time.sleep(2)  # the worker settles (its first build's caches written)
        for k in range(edits):
            before = pdf.stat().st_ino
            deck.write_text(text.replace(PROSE[0], f"{PROSE[0]} (w{k})"), encoding="utf-8")
            saved = time.perf_counter()
            deadline = saved + 60
            while pdf.stat().st_ino == before and time.perf_counter() < deadline:
                time.sleep(0.002)
            latencies.append(time.perf_counter() - saved)
            time.sleep(1.5)
    finally:
        os.killpg(proc.pid, 2)
        proc.wait(timeout=30)
        deck.write_text(text, encoding="utf-8")
    return latencies


def profile_prose_edit(work: Path, env: dict) -> dict[str, float]:
    """Where a prose-edit rebuild spends its time (one in-process run under cProfile)."""
    deck = work / "slides_src" / f"{FLAGSHIP}.md"
    text = deck.read_text(encoding="utf-8")
    deck.write_text(text.replace(PROSE[0], f"{PROSE[0]} (profile)"), encoding="utf-8")
    code = f"""
import cProfile, pstats, json, sys, time
sys.path.insert(0, {str(ROOT)!r})
start = time.perf_counter()
from pathlib import Path
from deck.pipeline import BuildOptions, build_deck
profile = cProfile.Profile()
profile.enable()
build_deck(Path({str(deck)!r}), BuildOptions(project_root=Path({str(work)!r})))
profile.disable()
total = time.perf_counter() - start
stats = pstats.Stats(profile).stats
def cum(fragment):
    return max((v[3] for k, v in stats.items() if fragment in f"{{k[0]}}:{{k[2]}}"), default=0.0)
print(json.dumps({{"whole process after start-up": total,
    "import weasyprint": cum("weasyprint/__init__.py:<module>"),
    "load the fonts": cum("pdf.py:__init__"),
    "lay out and draw the edited slide": cum("pdf.py:render_slide") - cum("pdf.py:__init__"),
    "assemble the deck's PDF": cum("assemble.py:assemble"),
    "cells (cached) and parse": cum("execute/__init__.py:execute") + cum("source/__init__.py:parse_file"),
    "HTML of the slides": cum("documents.py:render_one")}}))
"""
    out = subprocess.run([PY, "-c", code], cwd=work, env={**os.environ, **env}, capture_output=True, text=True)
    deck.write_text(text, encoding="utf-8")
    if out.returncode != 0:
        return {"profile failed": float("nan")}
    return json.loads(out.stdout.strip().splitlines()[-1])


def figure_weight(work: Path, env: dict) -> dict[str, float]:
    """The flagship's figures in its print HTML (text as text, no glyph <use>), and what WeasyPrint
    spends on the slides that show them, in one warm process."""
    code = f"""
import json, sys, time, re
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from deck.source import parse_file
from deck.execute import execute
from deck.execute.cache import Cache
from deck.shared.files import cache_root
from deck.render.assets import font_css
from deck.render.documents import render_slides, slide_print_html
from deck.render import pdf, slide_pdfs
root = Path({str(work)!r})
deck = parse_file(root / "slides_src" / "{FLAGSHIP}.md", root)
execute(deck, cache=Cache(cache_root(root)), project_root=root)
slides = render_slides(deck, root, cache_root(root))
pdfs = slide_pdfs.SlidePdfs(font_css())
pdf.render_slide(pdfs.job(1, slide_print_html(deck, slides[0]), 1))  # fonts loaded
figures = [s for s in slides if "<svg" in s.html and "figure" in s.html]
html = "".join(s.html for s in figures)
start = time.perf_counter()
for s in figures:
    pdf.render_slide(pdfs.job(s.index, slide_print_html(deck, s), s.steps))
print(json.dumps({{"slides with figures": len(figures), "svg": html.count("<svg"), "use": html.count("<use"),
                  "text": html.count("<text"), "seconds": time.perf_counter() - start}}))
"""
    out = subprocess.run([PY, "-c", code], cwd=work, env={**os.environ, **env}, capture_output=True, text=True)
    if out.returncode != 0:
        return {}
    return json.loads(out.stdout.strip().splitlines()[-1])


GROUPS = ("flagship", "offline", "pages", "watch", "profile", "helper")
# decks whose every slide is laid out at the end of a build (cells cached, slides not), this process
# alone or with the PDF helper: where the helper pays (render/pdf.py's HELPER_MIN_SLIDES)
HELPER_SIZES = (4, 8, 12, 16, 24, 32)


def pdf_only_with(work: Path, deck: str, helper: bool) -> list[str]:
    """`build.py --pdf-only DECK` in this checkout, the helper started for the slides left at the end
    (`helper`) or not, whatever their number and the load (slide_pdfs.helper_pays decided)."""
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from deck.render import slide_pdfs; "
            f"slide_pdfs.helper_pays = lambda slides: {helper}; from deck.cli import main; sys.exit(main(sys.argv[1:]))")
    return [PY, "-c", code, "--root", str(work), "--pdf-only", deck]


def measure_helper(build: list[str], work: Path, env: dict, sample: Callable) -> None:
    """Every slide of a deck laid out at the end (its cells cached, no slide cached), with and
    without the helper, for decks of HELPER_SIZES slides and the flagship."""
    fixed = {**env, "PYTHONHASHSEED": "0"}  # as build.py sets it before anything
    for deck in [f"helper{n}" for n in HELPER_SIZES] + [FLAGSHIP]:
        run_once(build + [deck, "--html-only"], work, env)  # the cells cached
        for mode, helper in (("alone", False), ("helper", True)):
            shutil.rmtree(work / "cache" / "slides", ignore_errors=True)
            sample(f"{mode} {deck}", run_once(pdf_only_with(work, deck, helper), work, fixed))


def measure_round(build: list[str], prefix: str, k: int, groups: set[str], work: Path, env: dict,
                  sample: Callable, torch_home: Path) -> None:
    """One round of the deck's measurements with `build` (a checkout's build.py), names prefixed."""
    deck = work / "slides_src" / f"{FLAGSHIP}.md"
    text = deck.read_text(encoding="utf-8")
    cache = work / "cache"
    if "flagship" in groups:
        shutil.rmtree(cache, ignore_errors=True)
        sample(prefix + "cold", run_once(build + [FLAGSHIP], work, env))
        # the two halves a pipelined cold build overlaps: cells (HTML only), and every slide
        # rendered with the cells cached (slides emptied from the cache)
        shutil.rmtree(cache, ignore_errors=True)
        sample(prefix + "cold html", run_once(build + [FLAGSHIP, "--html-only"], work, env))
        shutil.rmtree(cache / "slides", ignore_errors=True)
        sample(prefix + "render all", run_once(build + [FLAGSHIP, "--pdf-only"], work, env))
        sample(prefix + "nothing changed", run_once(build + [FLAGSHIP], work, env))
        deck.write_text(text.replace(PROSE[0], PROSE[1].format(k=f"{prefix}{k}")), encoding="utf-8")
        sample(prefix + "prose", run_once(build + [FLAGSHIP], work, env))
        deck.write_text(text.replace(PROSE[0], PROSE[1].format(k=f"{prefix}h{k}")), encoding="utf-8")
        sample(prefix + "prose html", run_once(build + [FLAGSHIP, "--html-only"], work, env))
        deck.write_text(text, encoding="utf-8")
    if "offline" in groups:
        # DECK_OFFLINE unset, no pretrained weights in the hub cache and no network for downloads
        # (a proxy on the discard port refuses every connection, as a machine without network does)
        no_net = {k_: v for k_, v in env.items() if k_ != "DECK_OFFLINE"}
        no_net.update({"TORCH_HOME": str(torch_home), "https_proxy": "http://127.0.0.1:9",
                       "http_proxy": "http://127.0.0.1:9", "no_proxy": ""})
        shutil.rmtree(torch_home, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
        run_once(build + [FLAGSHIP], work, no_net)  # the cold build before it (its download fails)
        deck.write_text(text.replace(PROSE[0], PROSE[1].format(k=f"{prefix}n{k}")), encoding="utf-8")
        sample(prefix + "prose no network", run_once(build + [FLAGSHIP], work, {**no_net, "DECK_OFFLINE": ""}))
        deck.write_text(text, encoding="utf-8")
    if "pages" in groups:
        for n in (50, 200):
            shutil.rmtree(cache, ignore_errors=True)
            sample(f"{prefix}gen{n}", run_once(build + [f"gen{n}"], work, env))
    if "helper" in groups and not prefix:
        measure_helper(build, work, env, sample)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true", help="rewrite the table in bench/RESULTS.md")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (median kept)")
    ap.add_argument("--only", default=",".join(GROUPS),
                    help=f"comma-separated groups of rows to measure, among {', '.join(GROUPS)} (default: all)")
    ap.add_argument("--before", type=Path, metavar="CHECKOUT",
                    help="also measure another checkout of deck (e.g. a worktree of main) in the same rounds")
    args = ap.parse_args()
    groups = set(args.only.split(","))
    if groups - set(GROUPS):
        ap.error(f"--only: unknown group(s) {', '.join(sorted(groups - set(GROUPS)))}")
    peers = peer_available()
    work = Path(tempfile.mkdtemp(prefix="deck-bench-"))
    s: dict[str, Sample] = {}

    def sample(name: str, measured: tuple[float, float]) -> None:
        s.setdefault(name, Sample()).add(measured)

    watch, profile, figures = [], {}, {}
    try:
        shutil.copytree(ROOT / "slides_src", work / "slides_src")
        cache = work / "cache"
        env = {"DECK_CACHE_DIR": str(cache), "NO_COLOR": "1", "DECK_OFFLINE": "1"}
        build = [PY, str(ROOT / "build.py"), "--root", str(work)]
        before = [PY, str(args.before.resolve() / "build.py"), "--root", str(work)] if args.before else None
        floor_cmd = [PY, "-c", "import torch, torchvision, matplotlib, weasyprint"]
        nb = PEERS / "nbconvert" / "run.sh"
        marp = PEERS / "marp" / "run.sh"
        nb_env, marp_env_run = {"BUILD": str(work / "peers" / "nbconvert")}, {"BUILD": str(work / "peers" / "marp")}
        for n in (50, 200):
            (work / "slides_src" / f"gen{n}.md").write_text(generated_deck(n), encoding="utf-8")
            (work / f"marp{n}.md").write_text(generated_deck(n, marp=True), encoding="utf-8")
        for n in HELPER_SIZES:
            (work / "slides_src" / f"helper{n}.md").write_text(generated_deck(n), encoding="utf-8")
        marp_env = {"CHROME_PATH": "/usr/bin/chromium", "CHROME_NO_SANDBOX": "1"}

        for k in range(args.repeat):
            print(f"round {k + 1}/{args.repeat}", file=sys.stderr)
            sample("floor", run_once(floor_cmd, work))
            measure_round(build, "", k, groups, work, env, sample, work / "torch_home")
            if before:
                measure_round(before, "before ", k, groups, work, env, sample, work / "torch_home")
            if "flagship" in groups and peers["nbconvert"] == "ok":
                shutil.rmtree(work / "peers" / "nbconvert", ignore_errors=True)
                a = run_once(["bash", str(nb), "cold"], work, nb_env)
                b = run_once(["bash", str(nb), "pdf"], work, nb_env)
                sample("nbconvert", (a[0] + b[0], max(a[1], b[1])))
            if "flagship" in groups and peers["marp"] == "ok":
                sample("marp html", run_once(["bash", str(marp), "warm"], work, marp_env_run, ok=(0,)))
            if "pages" in groups and peers["marp"] == "ok":
                for n in (50, 200):
                    (work / f"marp{n}.pdf").unlink(missing_ok=True)
                    sample(f"marp{n}", run_once([str(MARP), "--no-stdin", "--pdf", str(work / f"marp{n}.md"),
                                                 "-o", str(work / f"marp{n}.pdf")], work, marp_env, ok=(0,)))
                    if not (work / f"marp{n}.pdf").is_file():
                        raise SystemExit(f"Marp wrote no {work / f'marp{n}.pdf'}")
        run_once(build + [FLAGSHIP], work, env)
        if "watch" in groups:
            watch = watch_pdf_latency(work, env, args.repeat)
        if "profile" in groups:
            profile = profile_prose_edit(work, env)
            figures = figure_weight(work, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = format_table(s, watch, peers)
    notes = format_notes(profile, figures, s)
    print(table + "\n\n" + notes)
    if args.write:
        write_results(table + "\n\n" + notes, args.repeat)
    return 0


def format_table(s: dict[str, Sample], watch: list[float], peers: dict[str, str]) -> str:
    """The rows measured in this run; "before": the same row measured with --before's checkout in the
    same rounds, else the figure of issue 14 (another run, another load)."""
    floor = s["floor"]
    rows = [("| measurement | deck | compared with | ratio | target | before |"),
            "|---|---:|---|---:|---|---|"]

    def row(name, value, other, ratio, goal, before):
        rows.append(f"| {name} | {value} | {other} | {ratio} | {goal} | {before} |")

    def target(goal: str, reached: bool) -> str:
        return f"{goal} {'met' if reached else 'missed'}"

    def before(key: str, old: str, against: str | None = "floor") -> str:
        """The row's value with --before's checkout (and its ratio to `against`), else `old`."""
        if f"before {key}" not in s:
            return f"{old} (issue 14)" if old else ""
        t = s[f"before {key}"].t
        return f"{t:.2f} s" + (f", {t / s[against].t:.2f}x" if against else "")

    row("floor: import torch, torchvision, matplotlib, weasyprint", f"{floor.t:.2f} s, {floor.peak:.0f} MiB",
        "", "", "", "")
    if "cold" in s:
        flagship_rows(s, row, target, before, peers)
    if "prose no network" in s:
        t = s["prose no network"].t
        row("rebuild after a prose edit, HTML+PDF, `DECK_OFFLINE` unset, no network, no weights in the hub cache",
            f"{t:.2f} s", f"import floor: {floor.t:.2f} s", f"{t / floor.t:.2f}x", target("≤ 0.15x", t / floor.t <= 0.15),
            before("prose no network", "7.89 s vs 5.13 s: 1.54x (issue 22)"))
        cpu = s["prose no network"].cpu
        row("the same, CPU time (user + system)", f"{cpu:.2f} s", f"import floor: {floor.cpu:.2f} s",
            f"{cpu / floor.cpu:.2f}x", "",
            f"{s['before prose no network'].cpu:.2f} s" if "before prose no network" in s else "")
    if watch:
        w = statistics.median(watch)
        row("`--watch --pdf`: PDF of a prose edit written after the save", f"{w:.2f} s",
            "", "", target("≤ 0.5 s", w <= 0.5), "")
    if "gen200" in s:
        pages_rows(s, row, target, before, peers)
    if f"alone {FLAGSHIP}" in s:
        helper_rows(s, row)
    return "\n".join(rows)


def helper_rows(s, row) -> None:
    """Every slide laid out at the end, this process alone or with the helper (wall, and CPU of both)."""
    sys.path.insert(0, str(ROOT))
    from deck.render.pdf import HELPER_MIN_SLIDES
    from deck.source import parse_file

    flagship = len(parse_file(ROOT / "slides_src" / f"{FLAGSHIP}.md", ROOT).slides)
    for deck in [f"helper{n}" for n in HELPER_SIZES] + [FLAGSHIP]:
        alone, helper = s[f"alone {deck}"], s[f"helper {deck}"]
        slides = deck.removeprefix("helper") if deck != FLAGSHIP else f"the flagship's {flagship}"
        row(f"{slides} slides laid out at the end (cells cached, `--pdf-only`), with the PDF helper",
            f"{helper.t:.2f} s (CPU {helper.cpu:.2f} s)", f"alone: {alone.t:.2f} s (CPU {alone.cpu:.2f} s)",
            f"{helper.t / alone.t:.2f}x", f"HELPER_MIN_SLIDES = {HELPER_MIN_SLIDES}", "")


def flagship_rows(s, row, target, before, peers) -> None:
    floor, cold = s["floor"], s["cold"]
    if "nbconvert" in s:
        nb = s["nbconvert"]
        row("cold build, HTML+PDF", f"{cold.t:.2f} s", f"nbconvert execute + slides + PDF through chromium: {nb.t:.2f} s",
            f"{cold.t / nb.t:.2f}x", "", before("cold", "7.5 s vs 9.9 s: 0.81x", "nbconvert"))
    else:
        row("cold build, HTML+PDF", f"{cold.t:.2f} s", f"nbconvert: {peers['nbconvert']}", "", "", "")
    row("cold build, HTML+PDF", f"{cold.t:.2f} s", f"import floor: {floor.t:.2f} s", f"{cold.t / floor.t:.2f}x",
        target("≤ 1.3x", cold.t / floor.t <= 1.3), before("cold", "7.8 s vs 3.9 s: 2.02x"))
    row("cold build, peak RSS (largest process)", f"{cold.peak:.0f} MiB", f"import floor: {floor.peak:.0f} MiB",
        f"{cold.peak / floor.peak:.2f}x", target("≤ 1.1x", cold.peak / floor.peak <= 1.1), "")
    ch, ra = s["cold html"], s["render all"]
    row("cold build: its two halves, overlapped", f"{cold.t:.2f} s",
        f"cells (cold HTML only) {ch.t:.2f} s; every slide rendered, cells cached {ra.t:.2f} s",
        f"{cold.t / max(ch.t, ra.t):.2f}x the longer, {cold.t / (ch.t + ra.t):.2f}x the sum", "≈ the longer",
        before("render all", "", None))
    prose = s["prose"]
    row("rebuild after a prose edit, HTML+PDF (`DECK_OFFLINE=1`)", f"{prose.t:.2f} s", f"import floor: {floor.t:.2f} s",
        f"{prose.t / floor.t:.2f}x", target("≤ 0.15x", prose.t / floor.t <= 0.15), before("prose", "2.59 s"))
    ph = s["prose html"]
    if "marp html" in s:
        m = s["marp html"]
        row("rebuild after a prose edit, HTML only", f"{ph.t:.2f} s", f"Marp HTML (no execution): {m.t:.2f} s",
            f"{ph.t / m.t:.2f}x", "", before("prose html", "0.23 s vs 0.67 s: 0.36x", "marp html"))
    else:
        row("rebuild after a prose edit, HTML only", f"{ph.t:.2f} s", f"Marp: {peers['marp']}", "", "", "")
    row("rebuild, nothing changed, HTML+PDF", f"{s['nothing changed'].t:.2f} s", "", "", "",
        before("nothing changed", "", None))


def pages_rows(s, row, target, before, peers) -> None:
    per_page = (s["gen200"].t - s["gen50"].t) / 150
    cpu_page = (s["gen200"].cpu - s["gen50"].cpu) / 150
    old = ""
    if "before gen200" in s:
        old = (f"{(s['before gen200'].t - s['before gen50'].t) / 150 * 1000:.1f} ms "
               f"(CPU {(s['before gen200'].cpu - s['before gen50'].cpu) / 150 * 1000:.1f} ms)")
        row("200-slide deck, CPU time of each added page (50 -> 200 slides, both processes)",
            f"{cpu_page * 1000:.1f} ms", "", "", "", f"{(s['before gen200'].cpu - s['before gen50'].cpu) / 150 * 1000:.1f} ms")
        row("200-slide deck, CPU time of the cold build (both processes)", f"{s['gen200'].cpu:.2f} s", "", "", "",
            f"{s['before gen200'].cpu:.2f} s")
    if "marp200" in s:
        marp_page = (s["marp200"].t - s["marp50"].t) / 150
        row("200-slide deck, cost of each added page (50 -> 200 slides, cold HTML+PDF)", f"{per_page * 1000:.1f} ms",
            f"Marp PDF: {marp_page * 1000:.1f} ms", f"{per_page / marp_page:.1f}x",
            target("≤ 1.5x Marp", per_page <= 1.5 * marp_page), old or "16.9 ms vs 2.7 ms: 6.3x (issue 14)")
        row("200-slide deck, whole cold build HTML+PDF", f"{s['gen200'].t:.2f} s", f"Marp PDF: {s['marp200'].t:.2f} s",
            f"{s['gen200'].t / s['marp200'].t:.2f}x", target("≤ 1.5x", s['gen200'].t <= 1.5 * s['marp200'].t),
            before("gen200", "", "marp200"))
    else:
        row("200-slide deck, cost of each added page", f"{per_page * 1000:.1f} ms", f"Marp: {peers['marp']}", "",
            "", old)
        row("200-slide deck, whole cold build HTML+PDF", f"{s['gen200'].t:.2f} s", "", "", "",
            before("gen200", "", None))


def format_notes(profile: dict[str, float], figures: dict, s: dict[str, Sample]) -> str:
    lines = []
    if profile:
        lines = ["Where a prose-edit rebuild (HTML+PDF) spends its time, one in-process run under cProfile "
                 "(cumulative seconds, about twice the real ones for WeasyPrint's pure-Python work; the "
                 "interpreter's start-up and deck's imports come before):", ""]
        lines += [f"- {name}: {value:.3f} s" for name, value in profile.items()]
    if figures:
        lines += ["", f"Figures (issue 14, point 3): the flagship's {figures['slides with figures']} slides with figures "
                  f"hold {figures['svg']} inline SVGs with {figures['text']} `<text>` and {figures['use']} `<use>` "
                  f"elements; WeasyPrint lays them out and draws them in {figures['seconds']:.2f} s in a warm "
                  f"process (before: 1,319 `<use>`, about 1.0 s for 7 figure SVGs)."]
    runs = ", ".join(f"{k} {' / '.join(f'{t:.2f}' for t in v.times)}" for k, v in s.items())
    lines += ["" if lines else "", "Runs (wall s): " + runs]
    lines += ["", "Runs (CPU s): " + ", ".join(f"{k} {' / '.join(f'{t:.2f}' for t in v.cpus)}" for k, v in s.items())]
    return "\n".join(lines)


def machine() -> str:
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    from importlib.metadata import version

    libs = ", ".join(f"{d} {version(d)}" for d in ("torch", "torchvision", "matplotlib", "weasyprint", "pikepdf"))
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}, {platform.system()}; {libs}"


def write_results(body: str, repeat: int) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    head, tail = "<!-- bench:table -->", "<!-- /bench:table -->"
    load = os.getloadavg()[0]
    block = (f"{head}\nMachine: {machine()}\nDate: {time.strftime('%Y-%m-%d')}; medians of {repeat} runs; "
             f"load average at the end {load:.1f}\n\n{body}\n{tail}")
    if head in text and tail in text:
        text = text[:text.index(head)] + block + text[text.index(tail) + len(tail):]
    else:
        text = "# Benchmark results\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
