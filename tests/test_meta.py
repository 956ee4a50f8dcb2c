"""Shapes for free: the meta device gives the same shapes and counts as real execution."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn
from helpers_for_tests import run

from deck.execute.cell_api import formula, nparams, numel, shape

LAYERS = [
    ("linear", lambda: nn.Linear(1024, 512), (32, 1024)),
    ("conv1d", lambda: nn.Conv1d(2, 16, 5, padding=2, stride=4, bias=False), (8, 2, 10201)),
    ("conv2d", lambda: nn.Conv2d(3, 64, 7, padding=3, stride=2), (4, 3, 64, 64)),
    ("conv3d", lambda: nn.Conv3d(1, 32, 3, padding=1), (2, 1, 12, 16, 16)),
    ("convT", lambda: nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), (2, 8, 9, 9)),
    ("grouped", lambda: nn.Conv2d(8, 16, 3, groups=4), (2, 8, 10, 10)),
    ("maxpool", lambda: nn.MaxPool2d(2), (2, 3, 17, 17)),
    ("avgpool3d", lambda: nn.AvgPool3d(2, stride=1), (1, 2, 5, 6, 7)),
    ("adaptive", lambda: nn.AdaptiveAvgPool2d((3, 5)), (2, 4, 17, 11)),
    ("batchnorm", lambda: nn.BatchNorm2d(16), (2, 16, 8, 8)),
    ("lstm-free seq", lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10)), (2, 3, 12, 12)),
    ("resnet18", lambda: __import__("torchvision").models.resnet18(weights=None), (1, 3, 64, 64)),
]


def _shapes_and_counts(make, input_shape, device):
    with torch.device(device):
        torch.manual_seed(0)
        layer = make()
        x = torch.randn(*input_shape)
        y = layer(x)
        if isinstance(y, tuple):
            y = y[0]
        return shape(y), nparams(layer), numel(y), y.device.type


@pytest.mark.slow
@pytest.mark.parametrize("name,make,input_shape", LAYERS, ids=[l[0] for l in LAYERS])
def test_meta_equals_real(name, make, input_shape):
    real = _shapes_and_counts(make, input_shape, "cpu")
    meta = _shapes_and_counts(make, input_shape, "meta")
    assert meta[3] == "meta" and real[3] == "cpu"
    assert meta[:3] == real[:3]


def test_formula_on_meta_layers():
    with torch.device("meta"):
        conv = nn.Conv2d(3, 64, 7, padding=3, stride=2)
    assert str(formula(conv)) == "64 × (3 × 7² + 1)" and int(formula(conv)) == 9472


def test_meta_cell_option_costs_no_memory(tmp_path):
    # 32×1×60×64×64 input and a 1 GB output: on the meta device, nothing is allocated.
    deck, problems = run("""
        # Conv3d
        ```{python}
        #| output: comment
        #| meta: true
        import torch, torch.nn as nn
        y = nn.Conv3d(1, 32, 3, padding=1)(torch.randn(32, 1, 60, 64, 64))
        shape(y)
        y.device.type
        memory(y)
        ```
        """, tmp_path, lang="en")
    assert not problems.items
    assert deck.cells[0].display.splitlines()[-3:] == [
        "shape(y)  # (32, 32, 60, 64, 64)", "y.device.type  # meta", "memory(y)  # 1.01\u00a0GB"]


def test_deck_default_meta_and_cell_override(tmp_path):
    from deck.source import parse

    text = "---\ntitle: T\nexecute: {meta: true}\n---\n# A\n```{python}\nx = 1\n```\n```{python}\n#| meta: false\ny = 2\n```\n"
    path = tmp_path / "slides_src" / "d.md"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    deck = parse(text, path, tmp_path)
    assert [c.options.meta for c in deck.cells] == [True, False]
