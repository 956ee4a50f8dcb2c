"""Model summary table: parameter totals, shapes on the meta device, HTML."""

import re
import warnings

import pytest
import torch
import torch.nn as nn
import torchvision

from figures.summary import SummaryTable, model_summary


def test_resnet18_totals_match_the_model():
    net = torchvision.models.resnet18(weights=None)
    table = model_summary("resnet18", (1, 3, 224, 224))
    assert isinstance(table, SummaryTable)
    assert table.total == sum(p.numel() for p in net.parameters())
    assert table.trainable == table.total and table.frozen == 0
    assert table.buffers == sum(b.numel() for b in net.buffers())
    assert sum(r.params for r in table.rows) == table.total
    assert len(table.rows) <= 14
    # shapes agree with a real forward pass of the layers
    x = torch.zeros(1, 3, 224, 224)
    with torch.no_grad():
        real = {"conv1": net.conv1(x).shape, "fc": net.eval()(x).shape}
    shapes = {r.name: r.output_shape for r in table.rows}
    assert shapes["conv1"] == tuple(real["conv1"]) and shapes["fc"] == tuple(real["fc"])


def test_resnet50_collapsed_rows():
    net = torchvision.models.get_model("resnet50", weights=None)
    table = model_summary("resnet50", (1, 3, 224, 224))
    assert table.total == sum(p.numel() for p in net.parameters())
    assert len(table.rows) <= 14
    # each collapsed row stands for identical consecutive blocks of one stage
    blocks = sum(r.count for r in table.rows if r.name.startswith("layer"))
    assert blocks == sum(len(getattr(net, f"layer{i}")) for i in range(1, 5))
    row = next(r for r in table.rows if r.name.startswith("layer3.1"))
    assert row.count == len(net.layer3) - 1 and row.type == f"Bottleneck ×{row.count}"
    assert row.params == sum(p.numel() for b in list(net.layer3)[1:] for p in b.parameters())
    flat = model_summary("resnet50", (1, 3, 224, 224), collapse=False, max_rows=None)
    assert len(flat.rows) > len(table.rows) and all(r.count == 1 for r in flat.rows)
    assert sum(r.params for r in flat.rows) == table.total


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(8, 8)
        self.act = nn.Tanh()
        self.dec = nn.Linear(8, 8)
        self.dec.weight = self.enc.weight  # tied
        self.register_buffer("scale", torch.ones(5))

    def forward(self, x):
        return self.dec(self.act(self.enc(x)))


def test_tied_weights_are_counted_once():
    net = Tied()
    table = model_summary(net, (2, 8), lang="en")
    naive = sum(p.numel() for m in net.modules() for p in m.parameters(recurse=False))
    assert table.total == sum(p.numel() for p in net.parameters()) == 64 + 8 + 8
    assert naive > table.total
    assert sum(r.params for r in table.rows) == table.total
    assert table.buffers == 5
    by_name = {r.name: r for r in table.rows}
    assert by_name["dec"].params == 8  # only its bias is new
    assert by_name["dec"].output_shape == (2, 8)


def test_frozen_parameters_counted_apart():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))
    for p in net[0].parameters():
        p.requires_grad_(False)
    table = model_summary(net, (1, 3, 8, 8))
    assert table.frozen == sum(p.numel() for p in net[0].parameters()) == 3 * 4 * 9 + 4
    assert table.trainable == sum(p.numel() for p in net[3].parameters())
    assert table.total == table.frozen + table.trainable
    assert [r.output_shape for r in table.rows][-1] == (1, 10)
    # the ReLU is written on the convolution's row
    assert table.rows[0].type == "Conv2d + ReLU" and table.rows[0].name == "0–1"


def test_meta_device_only_and_module_untouched():
    """A 8x3x2048x2048 batch through VGG-11 would need > 8 GB if run for real."""
    net = torchvision.models.vgg11(weights=None)
    net.train()
    w = net.features[0].weight.clone()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = model_summary(net, (8, 3, 2048, 2048), depth=1)
    assert table.output_shape == (8, 1000)
    assert {r.name: r.output_shape for r in table.rows}["features"] == (8, 512, 64, 64)
    assert torch.equal(net.features[0].weight, w) and net.training
    assert not any(h for m in net.modules() for h in m._forward_hooks.values())


def test_html_table_numbers_in_deck_language():
    html_fr = model_summary("resnet18", (1, 3, 224, 224), lang="fr")._repr_html_()
    html_en = model_summary("resnet18", (1, 3, 224, 224), lang="en")._repr_html_()
    assert html_fr.startswith('<table class="summary"')
    assert "11\u202f689\u202f512" in html_fr and "Paramètres entraînables" in html_fr
    assert "11,689,512" in html_en and "Trainable parameters" in html_en
    assert html_fr.count("<tr") == 1 + 12 + 4  # header + rows + 4 totals


def test_html_escapes_text():
    Weird = type("A<b>&C", (nn.Module,), {"forward": lambda self, x: x * 2})
    net = nn.Sequential(Weird())
    html = model_summary(net, (1, 2))._repr_html_()
    assert "A&lt;b&gt;&amp;C" in html and "<b>" not in html


def test_too_many_rows_warns():
    with pytest.warns(UserWarning, match=r"\d+ lignes"):
        table = model_summary("vgg16", (1, 3, 224, 224), lang="fr")
    assert len(table.rows) > 14
    assert sum(r.params for r in table.rows) == table.total
    # depth=1 fits
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        short = model_summary("vgg16", (1, 3, 224, 224), depth=1)
    assert [r.name for r in short.rows] == ["features", "avgpool", "classifier"]
    assert short.total == table.total


def test_root_parameters_get_a_row():
    class WithToken(nn.Module):
        def __init__(self):
            super().__init__()
            self.token = nn.Parameter(torch.zeros(1, 4))
            self.proj = nn.Linear(4, 4)

        def forward(self, x):
            return self.proj(x + self.token)

    table = model_summary(WithToken(), (3, 4), lang="fr")
    assert table.rows[0].name == "(racine)" and table.rows[0].params == 4
    assert sum(r.params for r in table.rows) == table.total == 4 + 20
    assert re.search(r"\(racine\)", table._repr_html_())
