"""Transformers are networks like others: `figures.architecture` draws a torchvision ViT and a
hand-made one (patch embedding, class token, position embedding, encoder blocks × N, head), every
number read off the model."""

import pytest
import torch
import torch.nn as nn
import torchvision

from figures.architectures import architecture
from figures.blocks import architecture_spec
from figures.legibility import MIN_TEXT_PX, rendered_px


class TinyViT(nn.Module):
    """A ViT as a lecturer writes one: nn.TransformerEncoder, its own class token and positions."""

    def __init__(self, dim=64, depth=4, patch=8, size=32, n_classes=10):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.zeros(1, 1 + (size // patch) ** 2, dim))
        layer = nn.TransformerEncoderLayer(dim, 4, 2 * dim, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth)
        self.head = nn.Linear(dim, n_classes)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        return self.head(self.encoder(x)[:, 0])


def _legible(fig) -> float:
    return rendered_px(min(fig.data["font_sizes"]), fig.svg)


def test_hand_made_vit_is_drawn_with_its_tokens_and_blocks():
    net = TinyViT()
    fig = architecture(net, input_size=(1, 3, 32, 32), lang="fr")
    d = fig.data
    n_tokens = 1 + (32 // net.patch.stride[0]) ** 2
    assert d["family"] == "residual"
    (stage,) = d["blocks"]
    assert len(stage) == len(net.encoder.layers)
    # a block maps tokens of the model's width, through identity shortcuts (x + f(x), twice)
    assert {b["out_ch"] for b in stage} == {net.head.in_features}
    assert not any(b["downsample"] for b in stage)
    assert "raccourci avec projection (conv 1×1)" not in d["texts"]
    assert f"{n_tokens} jetons" in " ".join(d["texts"])
    assert "+ cls" in d["texts"] and "+ pos" in d["texts"]  # the parameters joined to the data
    assert d["num_classes"] == net.head.out_features
    assert _legible(fig) >= MIN_TEXT_PX


@pytest.mark.slow
def test_torchvision_vit_b_16():
    with torch.device("meta"):
        net = torchvision.models.vit_b_16(weights=None)
    fig = architecture(net, lang="en")
    spec = architecture_spec(net)
    d = fig.data
    assert sum(b["count"] for b in d["boxes"]) == len(net.encoder.layers)
    assert d["collapsed"] and d["boxes"][0]["count"] == len(net.encoder.layers)  # "768 ×12"
    assert {u.out_ch for u in spec.units if u.kind == "block"} == {net.hidden_dim}
    assert "+ class_token" in d["texts"] and "+ pos_embedding" in d["texts"]
    assert f"{(224 // net.patch_size) ** 2 + 1} tokens" in " ".join(d["texts"])
    assert str(net.hidden_dim) in fig.alt and "tokens" in fig.alt
    assert _legible(fig) >= MIN_TEXT_PX


def test_resnet_projection_shortcuts_are_still_found():
    """The shortcut test that tells a transformer's two identity adds apart keeps ResNet's 1×1 convs."""
    with torch.device("meta"):
        net = torchvision.models.resnet18(weights=None)
    spec = architecture_spec(net)
    blocks = [b for layer in (net.layer1, net.layer2, net.layer3, net.layer4) for b in layer]
    assert [b.downsample for s in spec.stages for b in s.blocks] == [b.downsample is not None for b in blocks]
