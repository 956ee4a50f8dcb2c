"""Convolution / pooling grids and activation curves: every drawn number is computed."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from figures.activations import activation_curves, softmax_bars
from figures.convolution import conv_illustration
from figures.pooling import pool_illustration


def correlate(x, k, stride, padding):
    """Plain numpy cross-correlation (what conv2d computes), for comparison."""
    x = np.pad(np.asarray(x, dtype=float), padding)
    k = np.asarray(k, dtype=float)
    kh, kw = k.shape
    oh = (x.shape[0] - kh) // stride + 1
    ow = (x.shape[1] - kw) // stride + 1
    return np.array([[np.sum(x[r * stride:r * stride + kh, c * stride:c * stride + kw] * k)
                      for c in range(ow)] for r in range(oh)])


@pytest.mark.parametrize("size,kernel,stride,padding,seed", [
    (5, 3, 1, 1, 0), (6, 3, 2, 0, 1), (4, 2, 1, 0, 2), (7, 3, 2, 1, 3),
])
def test_conv_values(size, kernel, stride, padding, seed):
    fig = conv_illustration(size=size, kernel=kernel, stride=stride, padding=padding, seed=seed)
    d = fig.data
    x, k, out = d["input"], d["kernel"], d["output"]
    assert np.array(x).shape == (size, size) and np.array(k).shape == (kernel, kernel)
    expected = F.conv2d(torch.tensor(x, dtype=torch.float32)[None, None],
                        torch.tensor(k, dtype=torch.float32)[None, None],
                        stride=stride, padding=padding)[0, 0]
    assert np.array_equal(np.array(out), expected.numpy())
    assert np.array_equal(np.array(out), correlate(x, k, stride, padding))
    # the highlighted window gives the highlighted value
    pr, pc = d["position"]
    wr, wc, kk = d["window"]
    padded = np.pad(np.array(x), padding)
    assert np.array_equal(np.array(d["padded_input"]), padded)
    assert d["value"] == out[pr][pc] == np.sum(padded[wr:wr + kk, wc:wc + kk] * np.array(k))
    assert (wr, wc) == (pr * stride, pc * stride)


def test_conv_seed_and_language():
    a, b = conv_illustration(seed=5, lang="fr"), conv_illustration(seed=5, lang="fr")
    assert a.svg == b.svg and a.data["input"] == b.data["input"]
    assert conv_illustration(seed=6).data["input"] != a.data["input"]
    assert "Entrée 5×5 (remplissage 1)" in a.data["texts"]
    en = conv_illustration(seed=5, lang="en")
    assert "Input 5×5 (padding 1)" in en.data["texts"]
    with pytest.raises(ValueError):
        conv_illustration(size=2, kernel=5, padding=0)


@pytest.mark.parametrize("kind,size,kernel,stride", [
    ("max", 4, 2, 2), ("avg", 4, 2, 2), ("max", 5, 3, 1), ("avg", 6, 3, 3),
])
def test_pool_values(kind, size, kernel, stride):
    fig = pool_illustration(kind, size=size, kernel=kernel, stride=stride, seed=1)
    x = torch.tensor(fig.data["input"], dtype=torch.float32)[None, None]
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    expected = pool(x, kernel, stride)[0, 0].numpy()
    assert np.allclose(np.array(fig.data["output"], dtype=float), expected)
    # and by hand
    xs = np.array(fig.data["input"], dtype=float)
    reduce = np.max if kind == "max" else np.mean
    o = (size - kernel) // stride + 1
    manual = [[reduce(xs[r * stride:r * stride + kernel, c * stride:c * stride + kernel])
               for c in range(o)] for r in range(o)]
    assert np.allclose(expected, manual)


def test_pool_labels_use_decimal_comma_in_french():
    fr = pool_illustration("avg", seed=0, lang="fr")
    en = pool_illustration("avg", seed=0, lang="en")
    for row_v, row_fr, row_en in zip(fr.data["output"], fr.data["output_labels"],
                                     en.data["output_labels"]):
        for v, t_fr, t_en in zip(row_v, row_fr, row_en):
            assert float(t_fr.replace(",", ".")) == pytest.approx(v)
            assert "." not in t_fr and "," not in t_en
            assert t_fr in fr.data["texts"]
    with pytest.raises(ValueError):
        pool_illustration("min")


def test_activation_curves_are_torch_functions():
    names = ("relu", "softplus", "leaky_relu", "elu", "sigmoid", "tanh")
    fig = activation_curves(names, x_range=(-3, 3), lang="fr")
    d = fig.data
    xs = torch.tensor(d["sample_x"], dtype=torch.float64)
    expected = {
        "relu": F.relu(xs),
        "softplus": F.softplus(xs),
        "leaky_relu": F.leaky_relu(xs, d["leaky_slope"]),
        "elu": F.elu(xs, d["elu_alpha"]),
        "sigmoid": torch.sigmoid(xs),
        "tanh": torch.tanh(xs),
    }
    for name in names:
        assert d["samples"][name] == pytest.approx(expected[name].tolist())
    assert d["samples"]["relu"] == [max(0.0, x) for x in d["sample_x"]]
    assert d["samples"]["sigmoid"] == pytest.approx([1 / (1 + math.exp(-x)) for x in d["sample_x"]])
    grid = torch.linspace(-3, 3, d["n_points"], dtype=torch.float64)
    curves = [f(grid) for f in (F.relu, F.softplus, torch.sigmoid, torch.tanh)]
    curves += [F.leaky_relu(grid, d["leaky_slope"]), F.elu(grid, d["elu_alpha"])]
    assert d["y_range"] == pytest.approx([min(float(c.min()) for c in curves),
                                          max(float(c.max()) for c in curves)])
    for title in ("ReLU", "Softplus", "Leaky ReLU", "ELU", "Sigmoïde", "tanh"):
        assert title in d["texts"]
    assert "Sigmoid" in activation_curves(("sigmoid",), lang="en").data["texts"]
    with pytest.raises(ValueError):
        activation_curves(("swish2",))


def test_activation_ticks_in_french():
    fig = activation_curves(("sigmoid",), x_range=(-1, 1), lang="fr")
    ticks = [t for t in fig.data["texts"] if any(ch.isdigit() for ch in t)]
    assert any("," in t for t in ticks) and not any("." in t for t in ticks)


def test_softmax_bars():
    z = (2.0, 1.0, 0.1)
    fr = softmax_bars(z, lang="fr")
    en = softmax_bars(z, lang="en")
    denom = sum(math.exp(v) for v in z)
    expected = [math.exp(v) / denom for v in z]
    assert fr.data["probs"] == pytest.approx(expected)
    assert sum(fr.data["probs"]) == pytest.approx(1.0)
    assert fr.data["prob_labels"] == [f"{p:.2f}".replace(".", ",") for p in expected]
    assert en.data["prob_labels"] == [f"{p:.2f}" for p in expected]
    for label in fr.data["prob_labels"] + fr.data["logit_labels"]:
        assert label in fr.data["texts"]
    assert all(label in fr.alt for label in fr.data["prob_labels"])
    neg = softmax_bars((-1.0, 0.5, 3.0, 0.0), lang="en")
    assert neg.data["logit_labels"][0] == "\u22121.00"
    assert neg.data["probs"] == pytest.approx(torch.softmax(torch.tensor([-1.0, 0.5, 3.0, 0.0]), 0).tolist())
