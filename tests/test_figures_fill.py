"""Diagrams use the room a slide gives a figure (848 × 330 px): larger text than the 2.8 % minimum
where the chain allows it, a U-Net as tall as the room, legends shared out over their rows, skips
drawn thick enough to be seen from the back of the room, no box without a word."""
import re

import pytest
import torch
import torch.nn as nn

from deck.shared.svg import FIGURE_MAX_HEIGHT_PX
from figures.architectures import architecture
from figures.legibility import FIGURE_WIDTH_PX, MIN_TEXT_PX, display_scale, rendered_px, svg_size
from figures.palette import ACCENT


def bloc(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(),
                         nn.Conv2d(c_out, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU())


class UNet(nn.Module):
    """recap4's U-Net: four levels down, a bottom, four up with concatenation skips, a 1×1 head."""

    def __init__(self, c_in=5, c_out=1, widths=(32, 64, 128, 256)):
        super().__init__()
        self.down, self.ups, self.up_blocks = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        c = c_in
        for w in widths:
            self.down.append(bloc(c, w))
            c = w
        self.bottom = bloc(c, 2 * c)
        for w in reversed(widths):
            self.ups.append(nn.ConvTranspose2d(2 * w, w, 2, stride=2))
            self.up_blocks.append(bloc(2 * w, w))
        self.head = nn.Conv2d(widths[0], c_out, kernel_size=1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        skips = []
        for b in self.down:
            x = b(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottom(x)
        for up, b, s in zip(self.ups, self.up_blocks, reversed(skips)):
            x = b(torch.cat([s, up(x)], dim=1))
        return self.head(x)


def smallest_px(fig) -> float:
    return rendered_px(min(fig.data["font_sizes"]), fig.svg)


def room_size(fig) -> tuple[float, float]:
    """(width, height) in slide pixels of the figure scaled into the room a slide gives it."""
    w, h = svg_size(fig.svg)
    k = display_scale(w, h)
    return w * k, h * k


@pytest.mark.parametrize("name", ["resnet18", "vgg16"])
def test_chains_set_their_labels_well_above_the_minimum(name):
    fig = architecture(name, lang="fr")
    assert smallest_px(fig) >= 1.15 * MIN_TEXT_PX  # 16 points gave the 15-px minimum exactly


def test_unet_is_as_tall_as_the_room():
    fig = architecture(UNet(), input_size=(1, 5, 256, 256), lang="fr")
    width, height = room_size(fig)
    assert height == pytest.approx(FIGURE_MAX_HEIGHT_PX) and width <= FIGURE_WIDTH_PX
    assert smallest_px(fig) >= MIN_TEXT_PX
    assert "1×1" in fig.data["texts"]  # the head says what it is: a 1×1 convolution to 1 channel


def test_skips_are_thick_on_the_slide():
    fig = architecture(UNet(), input_size=(1, 5, 256, 256), lang="fr")
    k = display_scale(*svg_size(fig.svg))
    widths = [float(w) for w in re.findall(rf"stroke: {ACCENT}; stroke-width: ([\d.]+)", fig.svg)]
    assert widths and min(widths) * k >= 2.0  # px on the slide: a hairline was 1.8 pt × 0.5


def test_legend_rows_are_shared_out():
    fig = architecture("resnet18", lang="fr")
    rows = fig.data["legend"]
    assert sum(len(r) for r in rows) == 4 and max(len(r) for r in rows) - min(len(r) for r in rows) <= 1


def test_a_long_chain_can_be_cut_into_rows():
    one, two = architecture("resnet18", lang="en", rows=1), architecture("resnet18", lang="en", rows=2)
    assert (one.data["rows"], two.data["rows"]) == (1, 2)
    assert one.data["boxes"] == two.data["boxes"]  # the same network, drawn in two rows
    w1, h1 = svg_size(one.svg)
    w2, h2 = svg_size(two.svg)
    assert w2 / h2 < w1 / h1 / 2  # narrower and taller
    assert smallest_px(two) >= MIN_TEXT_PX
