"""Property: whatever is planted in a cache folder (random bytes, a truncated entry, an unsigned JSON
edit, a pickle that runs code, an entry of another shape signed by a key holder), a check either
recomputes or gives a located error; it never runs planted code and never passes a false claim."""
from __future__ import annotations

import json
import os
import pickle
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deck.errors import ClaimError
from deck.pipeline import BuildOptions, build
from deck.shared.store import Store

DECK = ("---\ntitle: T\n---\n# A\n```{python}\n#| output: comment\n"
        "x = 3\nx * 2   # 7\n```\n\n```{python}\ny = x + 1\nprint(y)\n```\n\n$x^2$ and `{py} y => 5`\n")
FALSE = ["claim is false: this line gives 6, not 7", "claim is false: `y` is 4, not 5"]


class Runs:
    def __init__(self, mark):
        self.mark = mark

    def __reduce__(self):
        return (os.system, (f"touch {self.mark}",))


def _check(root: Path):
    [report] = build(BuildOptions(project_root=root, check=True, layout=False, decks=["t"]))
    return report


def _project() -> Path:
    root = Path(tempfile.mkdtemp(prefix="deck-planted-"))
    (root / "slides_src").mkdir()
    (root / "slides_src" / "t.md").write_text(DECK, encoding="utf-8")
    return root


MUTATIONS = ["random bytes", "truncated", "unsigned edit", "planted pickle", "signed other shape", "removed"]


def _mutate(path: Path, how: str, data: bytes, mark: Path) -> None:
    store = Store(path.parents[2])
    namespace, name = path.parent.parent.name, path.name
    payload = store.get(namespace, name) or b""
    if how == "random bytes":
        path.write_bytes(data)
    elif how == "truncated":
        path.write_bytes(path.read_bytes()[: len(data) % max(1, path.stat().st_size)])
    elif how == "unsigned edit":
        path.write_bytes(b"deck-cache 1 " + b"0" * 64 + b"\n" + payload.replace(b"7", b"6"))
    elif how == "planted pickle":
        path.write_bytes(pickle.dumps(Runs(mark)))
    elif how == "signed other shape":
        try:
            value = json.loads(payload)
        except ValueError:
            value = None
        store.put(namespace, name, json.dumps({"wrong": value, "problems": [], "verified": data.hex()}).encode()
                  if value is not None else data)
    else:
        path.unlink()


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_planted_entries_are_recomputed_never_trusted(data):
    from deck.execute.cached import CachedExecution

    root = _project()
    saved = os.environ.get("DECK_CACHE_DIR")
    # A snapshot after every cell (deck takes them after costly cells only): the cache then holds
    # snapshots for the plants to hit, without cells made slow for it
    costly, CachedExecution.SNAPSHOT_AFTER_SECONDS = CachedExecution.SNAPSHOT_AFTER_SECONDS, 0.0
    try:
        os.environ["DECK_CACHE_DIR"] = str(root / ".deck_cache")
        first = _check(root)
        assert sorted(p.message for p in first.problems) == sorted(FALSE)
        files = sorted(p for p in (root / ".deck_cache").rglob("*") if p.is_file() and p.parent.parent.name in
                       ("items", "ns", "blobs", "decks", "math"))
        # Draw positions, not paths: Hypothesis needs the same draws to mean the same thing on a
        # replay, whatever the entries' names.
        picks = data.draw(st.lists(st.integers(0, 63), min_size=1, max_size=4, unique=True))
        chosen = list(dict.fromkeys(files[i % len(files)] for i in picks))
        mark = root / "planted-code-ran"
        for path in chosen:
            _mutate(path, data.draw(st.sampled_from(MUTATIONS)), data.draw(st.binary(max_size=64)), mark)
        (root / "slides_src" / "t.md").write_text(DECK.replace("print(y)", "print(y, 1)"), encoding="utf-8")
        again = _check(root)
        assert not mark.exists()
        assert all(isinstance(p, ClaimError) and p.location is not None for p in again.problems)
        assert sorted(p.message for p in again.problems) == sorted(FALSE)
    finally:
        CachedExecution.SNAPSHOT_AFTER_SECONDS = costly
        if saved is None:
            os.environ.pop("DECK_CACHE_DIR", None)
        else:
            os.environ["DECK_CACHE_DIR"] = saved
        shutil.rmtree(root, ignore_errors=True)
