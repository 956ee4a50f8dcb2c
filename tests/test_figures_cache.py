"""figures.cache: hits, misses, corrupt entries, replayed warnings."""

import os
import warnings

import pytest

from figures import cache
from figures.cache import cached
from figures.output import SVGFigure


@pytest.fixture
def cache_root(tmp_path, monkeypatch):
    root = tmp_path / "deck_cache"
    monkeypatch.setenv("DECK_CACHE_DIR", str(root))
    return root / "figures"


def make_builder(calls, *, warn=None):
    def builder(n, *, lang="fr"):
        calls.append((n, lang))
        if warn:
            warnings.warn(warn, UserWarning)
        return SVGFigure(svg=f'<svg width="{n}pt" height="1pt"><!-- {lang} --></svg>',
                         alt=f"figure {n} {lang}", data={"n": n, "size": (n, n)})

    return builder


def entries(root):
    """The entries of the figures namespace (deck.shared.store: `figures/<kk>/<key>.json`)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def payload(path):
    """An entry's JSON, read through the store (its signature checked)."""
    from deck.shared.store import Store

    return Store(path.parents[2]).get_json("figures", path.name)


def test_second_call_hits(cache_root):
    calls = []
    builder = make_builder(calls)
    first = cached(builder, 3, lang="en")
    second = cached(builder, 3, lang="en")
    assert len(calls) == 1
    assert (first.svg, first.alt, first.data) == (second.svg, second.alt, second.data)
    assert first.data == {"n": 3, "size": [3, 3]}  # JSON round trip, hit or miss
    files = entries(cache_root)
    assert len(files) == 1 and files[0].suffix == ".json"
    stored = payload(files[0])
    assert stored["svg"] == first.svg and stored["alt"] == first.alt


def test_changed_arguments_miss(cache_root):
    calls = []
    builder = make_builder(calls)
    cached(builder, 3)
    cached(builder, 4)
    cached(builder, 3, lang="en")
    cached(builder, 3)
    assert calls == [(3, "fr"), (4, "fr"), (3, "en")]
    assert len(entries(cache_root)) == 3


@pytest.mark.parametrize("garbage", ["{not json", "", '{"svg": 1}', "[]",
                                     '{"format": 1, "svg": "<svg/>", "alt": "a"}'])
def test_corrupt_entry_is_rebuilt(cache_root, garbage):
    calls = []
    builder = make_builder(calls)
    good = cached(builder, 5)
    (path,) = entries(cache_root)
    path.write_text(garbage, encoding="utf-8")
    again = cached(builder, 5)
    assert len(calls) == 2 and again.svg == good.svg
    assert payload(path)["svg"] == good.svg  # repaired
    cached(builder, 5)
    assert len(calls) == 2


def test_warnings_are_replayed_on_hits(cache_root):
    calls = []
    builder = make_builder(calls, warn="poids absents : /x/y.pth")
    with pytest.warns(UserWarning, match="poids absents"):
        cached(builder, 1)
    with pytest.warns(UserWarning, match="poids absents"):
        cached(builder, 1)
    assert len(calls) == 1


def test_no_temporary_files_left(cache_root):
    builder = make_builder([])
    for n in range(4):
        cached(builder, n)
    names = [p.name for p in entries(cache_root)]
    assert len(names) == 4 and not any(n.startswith(".tmp") for n in names)


def test_default_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("DECK_CACHE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    cached(make_builder([]), 2)
    assert len(list((tmp_path / ".deck_cache" / "figures").rglob("*.json"))) == 1


def test_checkpoint_files_are_part_of_the_key(cache_root, tmp_path):
    calls = []
    ckpt = tmp_path / "weights.pth"

    def builder(n):
        calls.append(n)
        return SVGFigure(svg="<svg/>", alt=str(ckpt.exists()), data={})

    builder.cache_inputs = lambda n: [ckpt]
    assert cached(builder, 1).alt == "False"
    assert cached(builder, 1).alt == "False" and len(calls) == 1
    ckpt.write_bytes(b"123")
    assert cached(builder, 1).alt == "True" and len(calls) == 2
    ckpt.write_bytes(b"12345")  # new size
    cached(builder, 1)
    assert len(calls) == 3


def test_source_code_is_part_of_the_key(monkeypatch):
    builder = make_builder([])
    key = cache.cache_key(builder, 1)
    assert cache.cache_key(builder, 1) == key
    real_read = cache._read
    monkeypatch.setattr(cache, "_read", lambda p: real_read(p) + ("#" if p.name == "palette.py" else ""))
    assert cache.cache_key(builder, 1) != key


def test_module_arguments_are_keyed_by_value(cache_root):
    import torch

    calls = []

    def builder(net):
        calls.append(1)
        return SVGFigure(svg="<svg/>", alt=str(float(net.weight.detach().sum())), data={})

    net = torch.nn.Linear(2, 2)
    cached(builder, net)
    cached(builder, net)
    assert len(calls) == 1
    with torch.no_grad():
        net.weight.add_(1.0)
    assert cached(builder, net).alt == str(float(net.weight.detach().sum()))
    assert len(calls) == 2


def test_identity_based_arguments_are_not_cached(cache_root):
    calls = []
    builder = make_builder(calls)

    class Opaque:
        pass

    def b2(obj):
        calls.append(obj)
        return SVGFigure(svg="<svg/>", alt="", data={})

    cached(b2, Opaque())
    cached(b2, Opaque())
    assert len(calls) == 2 and entries(cache_root) == []
    cached(builder, 1)
    assert len(entries(cache_root)) == 1


def test_builder_must_return_a_json_friendly_svgfigure(cache_root):
    with pytest.raises(TypeError):
        cached(lambda: "<svg/>")
    with pytest.raises(TypeError):
        cached(lambda: SVGFigure(svg="<svg/>", alt="", data={"x": object()}))
    assert entries(cache_root) == []


def test_real_figure_round_trip(cache_root):
    from figures.activations import softmax_bars

    first = cached(softmax_bars, (1.0, 2.0), lang="en")
    (path,) = entries(cache_root)
    mtime = os.stat(path).st_mtime_ns
    second = cached(softmax_bars, (1.0, 2.0), lang="en")
    assert second.svg == first.svg and second.data == first.data
    assert os.stat(path).st_mtime_ns == mtime  # not rewritten
    assert first.svg == softmax_bars((1.0, 2.0), lang="en").svg


def test_pretrained_figure_key_follows_the_checkpoint(cache_root, tmp_path, monkeypatch):
    from figures.kernels import first_conv_kernels

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    monkeypatch.setenv("DECK_OFFLINE", "1")  # the missing checkpoint is not downloaded
    key_missing = cache.cache_key(first_conv_kernels, "resnet18")
    ckpt = tmp_path / "th" / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    ckpt.parent.mkdir(parents=True)
    ckpt.write_bytes(b"x")
    assert cache.cache_key(first_conv_kernels, "resnet18") != key_missing
    # the fallback warning comes back on a hit
    ckpt.unlink()
    with pytest.warns(UserWarning, match="resnet18-f37072fd"):
        a = cached(first_conv_kernels, "resnet18", max_kernels=4)
    with pytest.warns(UserWarning, match="resnet18-f37072fd"):
        b = cached(first_conv_kernels, "resnet18", max_kernels=4)
    assert a.svg == b.svg and a.data["pretrained"] is False
