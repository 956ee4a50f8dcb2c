"""A cache folder someone else can write (restored from a CI cache, shared on a disk): what it holds
is trusted only if a holder of the key signed it, a verdict is never read from it, and what it gives
back is cleaned again. Builds run in this process (deck.pipeline.build_deck) unless the case is
about the command line."""
from __future__ import annotations

import dataclasses
import io
import json
import os
import pickle
import stat

import pikepdf
import pytest
from helpers_for_tests import cache_entries, rewrite_entry, run_build

from deck.pipeline import build
from deck.shared import store as store_module
from deck.shared.store import Store, prune

FRONT = "---\ntitle: T\n---\n"
CLAIM = f"{FRONT}# A\n```{{python}}\n#| output: comment\nx = 3\nx * 2   # 7\n```\n"


@pytest.fixture
def cache(project):
    return project.root / ".deck_cache"


def build_deck(source, options):
    """One deck built as the command line builds it (the summary's notes included)."""
    [report] = build(dataclasses.replace(options, decks=[str(source)]))
    return report


def check(project, **kw):
    return build_deck(project.root / "slides_src" / "t.md", project.options(check=True, layout=False, **kw))


class Planted:
    """An object whose unpickling leaves a mark: code run from the cache."""

    def __init__(self, mark):
        self.mark = mark

    def __reduce__(self):
        return (os.system, (f"touch {self.mark}",))


# --- 1. a planted namespace snapshot never runs ---------------------------------------------------
def test_a_planted_snapshot_is_never_unpickled(project, cache):
    source = project.deck(f"{FRONT}# A\n```{{python}}\nimport time\ntime.sleep(0.3)\na = 1\n```\n"
                          f"```{{python}}\nb = a + 1\n```\n")
    assert not build_deck(source, project.options(pdf=False)).problems
    mark = project.root / "ran"
    blob = pickle.dumps(Planted(mark))
    [ns] = cache_entries(cache, "ns")
    [old_blob] = cache_entries(cache, "blobs")
    # what a writer without the key can do: the blob and the JSON that names it, both consistent
    digest = store_module.key(blob)
    planted = old_blob.parent.parent / digest[:2] / f"{digest}.pkl"
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_bytes(blob)
    ns.write_text(json.dumps({"key": ns.stem, "format": 5, "blob": digest, "complete": True}))
    old_blob.write_bytes(blob)
    source.write_text(source.read_text().replace("b = a + 1", "b = a + 2"))
    report = build_deck(source, project.options(pdf=False, verbose=True))
    assert not report.problems and not mark.exists()
    assert any("not a signed entry" in line for line in report.cache_log)


# --- 2. a planted verdict never makes a false claim pass -------------------------------------------
def test_an_unsigned_verdict_is_refused(project, cache):
    project.deck(CLAIM)
    assert len(check(project).problems) == 1
    for entry in cache_entries(cache, "items"):
        data = json.loads(Store(cache).get("items", entry.name))
        data["problems"], data["verified"] = [], []
        entry.write_text(json.dumps(data))  # unsigned
    report = check(project, verbose=True)
    assert [p.message for p in report.problems] == ["claim is false: this line gives 6, not 7"]
    assert any("not signed with this cache's key" in w for w in report.warnings)


def test_a_signed_entry_keeps_no_verdict_to_plant(project, cache):
    """Even written by a holder of the key, an entry holds the value a claim was checked against, not
    whether it held: the claim is verified again."""
    project.deck(CLAIM)
    assert len(check(project).problems) == 1

    def no_problems(payload: bytes) -> bytes:
        data = json.loads(payload)
        data["problems"] = []
        return json.dumps(data).encode()

    for entry in cache_entries(cache, "items"):
        rewrite_entry(entry, no_problems)
    report = check(project, verbose=True)
    assert any("cell 1 cached" in line for line in report.cache_log)
    assert [p.message for p in report.problems] == ["claim is false: this line gives 6, not 7"]


def test_another_key_recomputes_everything_and_says_so_once(project, cache, monkeypatch):
    project.deck(CLAIM.replace("# 7", "# 6"))
    assert not check(project).problems
    monkeypatch.setattr(store_module, "_key", b"a fork's CI without the secret")
    report = check(project, verbose=True)
    assert not report.problems
    assert any("cell 1 ran" in line for line in report.cache_log)
    notes = [w for w in report.warnings if "not signed with this cache's key" in w]
    assert len(notes) == 1 and "DECK_CACHE_KEY" in notes[0]
    assert any("signed with another key" in line for line in report.cache_log)


def test_the_key_given_in_the_environment_is_not_seen_by_cells(project, tmp_path):
    project.deck(f"{FRONT}# A\n```{{python}}\nimport os\nprint(os.environ.get('DECK_CACHE_KEY'))\n```\n")
    env = {**os.environ, "DECK_CACHE_KEY": "s3cret-key-value", "DECK_CACHE_DIR": str(tmp_path / "c")}
    run = run_build(project, "--html-only", environment=env, timeout=120)
    assert run.returncode == 0, run.stderr
    html = (project.root / "build" / "t.html").read_text(encoding="utf-8")
    assert "s3cret-key-value" not in html and "None" in html


def test_the_key_file_is_made_private(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    made = store_module._key_from_file(store_module.key_file())
    path = tmp_path / "config" / "deck" / "cache.key"
    assert path.read_bytes() == made and len(made) == 2 * store_module.KEY_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store_module._key_from_file(path) == made  # read back, not made again


def test_an_entry_copied_under_another_name_is_refused(tmp_path):
    store = Store(tmp_path, secret=b"k")
    store.put("math", "a.svg", b"<svg/>")
    store.path("math", "b.svg").parent.mkdir(parents=True, exist_ok=True)
    store.path("math", "b.svg").write_bytes(store.path("math", "a.svg").read_bytes())
    assert store.get("math", "a.svg") == b"<svg/>" and store.get("math", "b.svg") is None


def test_a_fifo_in_the_cache_is_a_miss_not_a_hang(tmp_path):
    store = Store(tmp_path, secret=b"k")
    path = store.path("items", "x.json")
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    assert store.get("items", "x.json") is None


# --- 3. a planted slide PDF carries no action into the deck ---------------------------------------
def _with_actions(payload: bytes) -> bytes:
    pdf = pikepdf.open(io.BytesIO(payload))
    js = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    pdf.pages[0].obj["/AA"] = pikepdf.Dictionary(O=js)
    pdf.Root["/OpenAction"] = js
    annots = list(pdf.pages[0].obj.get("/Annots", []))
    pdf.pages[0].obj["/Annots"] = pdf.make_indirect(pikepdf.Array(annots + [pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10],
        A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://attacker.example/"))))]))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def uris(path) -> list[str]:
    with pikepdf.open(path) as pdf:
        return [str(a.A.URI) for page in pdf.pages for a in page.obj.get("/Annots", []) if "/A" in a and "/URI" in a.A]


def pikepdf_text(path) -> bytes:
    """Every object of the PDF, uncompressed: what a reader would find in it."""
    out = io.BytesIO()
    with pikepdf.open(path) as pdf:
        pdf.save(out, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return out.getvalue()


@pytest.mark.slow
def test_a_signed_slide_pdf_with_javascript_is_cleaned(project, cache):
    source = project.deck(f"{FRONT}# A\nsome text, [a link](https://pytorch.org/)\n")
    first = build_deck(source, project.options(html=False))
    uris_before = uris(project.root / "build" / "t.pdf")
    assert first.rendered == [1, 2]
    for entry in cache_entries(cache, "slides", ".pdf"):
        rewrite_entry(entry, _with_actions)
        meta = entry.with_suffix(".json")
        rewrite_entry(meta, lambda m, e=entry: json.dumps({**json.loads(m), "size": len(Store(cache).get(
            "slides", e.name)), "sha": store_module.key(Store(cache).get("slides", e.name))}).encode())
    (project.root / "build" / "t.pdf").unlink()
    again = build_deck(source, project.options(html=False))
    assert again.rendered == []  # read from the cache, cleaned
    assert uris(project.root / "build" / "t.pdf") == uris_before == ["https://pytorch.org/"]  # the deck's link stays
    with pikepdf.open(project.root / "build" / "t.pdf") as pdf:
        assert "/OpenAction" not in pdf.Root and not any("/AA" in page.obj for page in pdf.pages)
    assert b"app.alert" not in pikepdf_text(project.root / "build" / "t.pdf")


@pytest.mark.slow
def test_a_zeroed_slide_pdf_of_the_recorded_size_is_rendered_again(project, cache):
    source = project.deck(f"{FRONT}# A\ntext\n")
    build_deck(source, project.options(html=False))
    for entry in cache_entries(cache, "slides", ".pdf"):
        rewrite_entry(entry, lambda pdf: bytes(len(pdf)))
    (project.root / "build" / "t.pdf").unlink()
    report = build_deck(source, project.options(html=False))
    assert report.rendered == [1, 2] and (project.root / "build" / "t.pdf").read_bytes().startswith(b"%PDF")


# --- 19. entries of the wrong shape are recomputed, never a crash ----------------------------------
WRONG_SHAPES = {
    "outputs: 5": lambda d: d["result"].__setitem__("outputs", 5),
    "result: null": lambda d: d.__setitem__("result", None),
    "an output without content": lambda d: [o.pop("content") for o in d["result"].get("outputs", [])]
    or d["result"].__setitem__("outputs", [{"kind": "text"}]),
    "a malformed problem": lambda d: d.__setitem__("problems", [{"kind": "claim"}]),
    "a non-text inline value": lambda d: d["result"].__setitem__("text", {"x": 1}),
    "modules: 5": lambda d: d.__setitem__("modules", 5),
    "a malformed kept value": lambda d: d.__setitem__("verified", [[{"dl": 0}, {"kind": "value"}]]),
}


@pytest.mark.parametrize("shape", sorted(WRONG_SHAPES))
def test_an_entry_of_the_wrong_shape_is_recomputed(project, cache, shape):
    project.deck(f"{FRONT}# A\n```{{python}}\n#| output: comment\nx = 3\nx * 2   # 6\nprint('hi')\n```\n"
                 "and `{py} x => 3`\n")
    assert not check(project).problems

    def damage(payload: bytes) -> bytes:
        data = json.loads(payload)
        WRONG_SHAPES[shape](data)
        return json.dumps(data).encode()

    for entry in cache_entries(cache, "items"):
        rewrite_entry(entry, damage)
    report = check(project)
    assert not report.problems and report.claims == 2


# --- the size cap ---------------------------------------------------------------------------------
def test_the_store_prunes_the_least_recently_used_entries(tmp_path):
    store = Store(tmp_path, secret=b"k")
    for name in "abcd":
        store.put("items", f"{name}.json", b"x" * 1000)
    for i, name in enumerate("abcd"):
        os.utime(store.path("items", f"{name}.json"), ns=(i * 10**9, i * 10**9))
    store.get("items", "a.json")  # used now: the newest
    removed = prune(tmp_path, 2 * 1100)
    assert sorted(p.name for p in removed) == ["b.json", "c.json"]
    assert store.get("items", "a.json") and store.get("items", "d.json")


def test_the_cap_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("DECK_CACHE_SIZE", "3")
    assert store_module.size_cap() == 3 * 1024 * 1024
    monkeypatch.delenv("DECK_CACHE_SIZE")
    assert store_module.size_cap() == store_module.DEFAULT_SIZE_MB * 1024 * 1024


def test_a_font_planted_in_the_cache_is_converted_again(tmp_path, monkeypatch):
    from deck.shared import svg

    monkeypatch.setenv("DECK_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(svg, "_registered", {})
    svg.register_deck_font()
    fonts = sorted((tmp_path / "fonts").glob("*.ttf"))
    good = fonts[0].read_bytes()
    fonts[0].write_bytes(b"planted: not the deck's font")
    monkeypatch.setattr(svg, "_registered", {})
    svg.register_deck_font()
    assert fonts[0].read_bytes() == good


def test_refused_entries_are_said_once_for_the_whole_build(project, monkeypatch):
    for name in ("a", "b"):
        project.deck(CLAIM.replace("# 7", "# 6"), name)
    build(project.options(check=True, layout=False, decks=["a", "b"]))
    monkeypatch.setattr(store_module, "_key", b"another key")
    reports = build(project.options(check=True, layout=False, decks=["a", "b"]))
    notes = [w for r in reports for w in r.warnings if "not signed" in w]
    assert len(notes) == 1 and " cache entries were not signed" in notes[0]


def test_a_folder_of_the_cache_linked_elsewhere_is_never_written_through(project, cache, tmp_path):
    # whoever can write a shared cache replaces its folders with links to a folder of yours
    # (`decks/t. -> ~/notes`): your build then wrote its entries, named after your decks, there
    project.deck(CLAIM)
    check(project)
    victim = tmp_path / "victim"
    victim.mkdir()
    folders = [p for p in cache.rglob("*") if p.is_dir() and p.parent != cache]
    assert folders
    for folder in folders:
        for entry in folder.iterdir():
            entry.unlink()
        folder.rmdir()
        folder.symlink_to(victim)
    report = check(project)
    assert [p.message for p in report.problems] == ["claim is false: this line gives 6, not 7"]
    assert list(victim.iterdir()) == []
    assert all(folder.is_symlink() for folder in folders)
