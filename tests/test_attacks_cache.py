"""What the cache gives back, attacked: an entry from a newer deck (an extra field) is read, a
poisoned one (signed by a holder of the key) carries nothing into a deck.
(A cache folder others can write: test_attacks_shared_cache.py.)

Attacks that once broke deck (issue 12, "nothing lost, nothing silent"): each test reproduces one.
Numbers in the section titles are the issue's cases. Builds run as the lecturer runs them
(`python build.py`), in a process of their own.
"""
from __future__ import annotations

import json

from helpers_for_tests import cache_entries, rewrite_entry, run_build

FRONT = "---\ntitle: T\n---\n"


# --- 3. every way the build ends says what happened, with the documented exit code ---------------
def test_a_cache_entry_with_an_extra_field_is_read(project):
    project.deck(f"{FRONT}# A\n```{{python}}\nprint('hello from the cell')\n```\n")
    assert run_build(project, "--html-only").returncode == 0
    def from_the_future(payload: bytes) -> bytes:
        data = json.loads(payload)
        if "outputs" in data["result"]:
            for o in data["result"]["outputs"]:
                o["from_the_future"] = 1
            for r in data["result"]["replacements"]:
                r["from_the_future"] = 1
            data["result"]["from_the_future"] = 1
        return json.dumps(data).encode("utf-8")

    for entry in cache_entries(project.root / ".deck_cache", "items"):
        rewrite_entry(entry, from_the_future)
    (project.root / "build" / "t.html").unlink()
    run = run_build(project, "--html-only", "-v")
    assert run.returncode == 0, run.stderr
    assert "cell 1 cached" in run.stderr
    assert "hello from the cell" in (project.root / "build" / "t.html").read_text(encoding="utf-8")


# --- 12. what the cache gives back is cleaned again ----------------------------------------------
def test_a_poisoned_cache_carries_nothing_into_a_deck(project):
    project.deck(f"{FRONT}# A\n```{{python}}\nclass T:\n    def _repr_html_(self):\n"
                 "        return '<table><tr><td>cell</td></tr></table>'\nT()\n```\nand $x^2$\n")
    assert run_build(project, "--html-only").returncode == 0
    cache = project.root / ".deck_cache"
    poisoned = 0
    # signed by a holder of the key (a colleague sharing the cache): cleaned all the same
    def html_output(payload: bytes) -> bytes:
        nonlocal poisoned
        data = json.loads(payload)
        for o in data["result"].get("outputs", []):
            if o["kind"] == "html":
                o["content"] += '<img src=x onerror="alert(1)"><script>alert(2)</script>'
                poisoned += 1
        return json.dumps(data).encode("utf-8")

    def math_svg(payload: bytes) -> bytes:
        nonlocal poisoned
        poisoned += 1
        return (payload.decode("utf-8").replace("<path ", '<path onload="alert(3)" ', 1)
                .replace("</svg>", '<script>alert(4)</script></svg>').encode("utf-8"))

    for entry in cache_entries(cache, "items"):
        rewrite_entry(entry, html_output)
    for svg in cache_entries(cache, "math"):
        rewrite_entry(svg, math_svg)
    assert poisoned == 2
    (project.root / "build" / "t.html").unlink()
    run = run_build(project, "--html-only", "-v")
    assert run.returncode == 0 and "cell 1 cached" in run.stderr
    html = (project.root / "build" / "t.html").read_text(encoding="utf-8")
    assert "<td>cell</td>" in html and 'class="math"' in html
    for bad in ("onerror", "onload", "alert("):
        assert bad not in html
