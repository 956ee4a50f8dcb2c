"""Architecture diagrams: what is drawn must match the model's own modules."""

import pytest
import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import Bottleneck

from figures.architectures import architecture
from figures.blocks import architecture_spec, architecture_stages
from figures.legibility import MIN_TEXT_PX, rendered_px


def meta_model(name):
    with torch.device("meta"):
        return torchvision.models.get_model(name, weights=None)


def resnet_truth(name):
    """Per stage: [(block type, out channels, has downsample)] read from the modules."""
    net = meta_model(name)
    stages = []
    for layer in (net.layer1, net.layer2, net.layer3, net.layer4):
        blocks = []
        for b in layer:
            last_conv = b.conv3 if isinstance(b, Bottleneck) else b.conv2
            blocks.append((type(b).__name__, last_conv.out_channels, b.downsample is not None))
        stages.append(blocks)
    return stages


def real_resnet_sizes(net, size):
    """Spatial size after each stage, by a real (CPU) forward pass."""
    x = torch.zeros(1, 3, size, size)
    out = []
    with torch.no_grad():
        x = net.maxpool(net.relu(net.bn1(net.conv1(x))))
        for layer in (net.layer1, net.layer2, net.layer3, net.layer4):
            x = layer(x)
            out.append(tuple(x.shape[-2:]))
    return out


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_resnet_stages_match_the_model(name):
    truth = resnet_truth(name)
    stages = architecture_stages(name, (1, 3, 224, 224))
    assert [[(b.type, b.out_ch, b.downsample) for b in s.blocks] for s in stages] == truth
    # in channels chain: each block's input is the previous block's output
    prev = 64
    for s in stages:
        for b in s.blocks:
            assert b.in_ch == prev
            prev = b.out_ch


def test_resnet18_spatial_sizes_and_counts():
    net = torchvision.models.resnet18(weights=None).eval()
    stages = architecture_stages("resnet18", (1, 3, 224, 224))
    assert [s.out_hw for s in stages] == real_resnet_sizes(net, 224)
    assert [s.out_hw for s in stages] == [(56, 56), (28, 28), (14, 14), (7, 7)]
    assert [s.n_blocks for s in stages] == [len(net.layer1), len(net.layer2), len(net.layer3),
                                            len(net.layer4)] == [2, 2, 2, 2]
    assert [s.out_ch for s in stages] == [64, 128, 256, 512]
    # another input size: everything is measured, nothing assumed
    stages = architecture_stages(net, (1, 3, 96, 96))
    assert [s.out_hw for s in stages] == real_resnet_sizes(net, 96)


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_resnet_drawn_boxes(name):
    truth = resnet_truth(name)
    fig = architecture(name)
    boxes = fig.data["boxes"]
    for si, blocks in enumerate(truth):
        drawn = [b for b in boxes if b["stage"] == si]
        assert sum(b["count"] for b in drawn) == len(blocks)  # every block drawn or counted
        expanded = [(b["type"], b["out_ch"], b["downsample"]) for b in drawn for _ in range(b["count"])]
        assert expanded == blocks
    assert fig.data["blocks"] == [
        [dict(b.__dict__) for b in s.blocks] for s in architecture_stages(name)
    ]
    assert fig.data["num_classes"] == meta_model(name).fc.out_features
    assert fig.data["n_boxes"] == len(boxes)
    # the box labels (out channels) are among the drawn texts
    for b in boxes:
        assert str(b["out_ch"]) in fig.data["texts"]


def test_collapse_rules():
    r18 = architecture("resnet18")
    assert r18.data["collapsed"] is False and r18.data["n_boxes"] == 8
    r50 = architecture("resnet50", lang="en")
    assert r50.data["collapsed"] is True
    # collapsed boxes are identical consecutive blocks: [1+2, 1+3, 1+5, 1+2]
    assert [b["count"] for b in r50.data["boxes"]] == [1, 2, 1, 3, 1, 5, 1, 2]
    assert "×5" in r50.data["texts"]
    full = architecture("resnet50", collapse=False)
    assert full.data["n_boxes"] == sum(len(s) for s in resnet_truth("resnet50"))


def vgg_truth(name):
    """Conv out channels grouped by the MaxPool2d that ends each stage."""
    net = meta_model(name)
    stages, current = [], []
    for m in net.features:
        if isinstance(m, nn.Conv2d):
            current.append(m.out_channels)
        elif isinstance(m, nn.MaxPool2d):
            stages.append(current)
            current = []
    return net, stages


@pytest.mark.parametrize("name", ["vgg16", "vgg19"])
def test_vgg_stages_match_the_model(name):
    net, truth = vgg_truth(name)
    n_convs = sum(isinstance(m, nn.Conv2d) for m in net.features)
    stages = architecture_stages(name)
    assert [[b.out_ch for b in s.blocks] for s in stages] == truth
    assert sum(s.n_blocks for s in stages) == n_convs
    assert [s.out_ch for s in stages] == [64, 128, 256, 512, 512]
    if name == "vgg16":
        assert n_convs == 13 and [s.n_blocks for s in stages] == [2, 2, 3, 3, 3]
    # conv resolution halves after each pool
    assert [s.out_hw for s in stages] == [(224 // 2**i,) * 2 for i in range(5)]
    assert [s.pool_hw for s in stages] == [(112 // 2**i,) * 2 for i in range(5)]


def test_vgg16_drawing():
    net, truth = vgg_truth("vgg16")
    fig = architecture("vgg16")
    for si, chans in enumerate(truth):
        drawn = [b for b in fig.data["boxes"] if b["stage"] == si]
        assert [b["out_ch"] for b in drawn for _ in range(b["count"])] == chans
    fcs = [m.out_features for m in net.classifier if isinstance(m, nn.Linear)]
    assert [h["out_ch"] for h in fig.data["head"] if h["kind"] == "fc"] == fcs
    assert "VGG-16" in fig.alt


def test_module_input_is_not_modified_and_named():
    net = torchvision.models.resnet34(weights=None)
    net.train()
    before = net.conv1.weight.clone()
    spec = architecture_spec(net, (1, 3, 64, 64))
    assert spec.name == "ResNet-34"
    assert net.conv1.weight.device.type == "cpu" and torch.equal(net.conv1.weight, before)
    assert net.training and net.layer1[0].bn1.training
    assert [s.n_blocks for s in spec.stages] == [len(net.layer1), len(net.layer2),
                                                 len(net.layer3), len(net.layer4)]


def test_deterministic_and_localised():
    a = architecture("resnet18", lang="en", title=True)
    b = architecture("resnet18", lang="en", title=True)
    assert a.svg == b.svg
    assert "ResNet-18 architecture" in a.data["texts"]
    fr = architecture("resnet18", lang="fr", title=True)
    assert "Architecture de ResNet-18" in fr.data["texts"]
    assert "raccourci identité" in fr.data["texts"]


def test_a_model_that_calls_nothing_is_refused():
    with pytest.raises(ValueError, match="nothing to draw"):
        architecture(nn.Identity(), input_size=(1, 3, 8, 8))


# --------------------------------------------------------------------------
# any model: a small ConvNet and a U-Net written here, checked against their own modules
# --------------------------------------------------------------------------


def small_convnet():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 32), nn.ReLU(), nn.Linear(32, 10),
    )


def double_conv(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True))


class UNet(nn.Module):
    """Encoder of `levels - 1` double convolutions and max poolings, a bottom, a decoder of
    transposed convolutions whose output is concatenated with the encoder's at the same level."""

    def __init__(self, levels=3, base=8, cin=1, classes=2):
        super().__init__()
        self.chans = [base * 2**i for i in range(levels)]
        self.down = nn.ModuleList()
        c = cin
        for ch in self.chans[:-1]:
            self.down.append(double_conv(c, ch))
            c = ch
        self.pool = nn.MaxPool2d(2)
        self.bottom = double_conv(self.chans[-2], self.chans[-1])
        self.up = nn.ModuleList(nn.ConvTranspose2d(2 * ch, ch, 2, stride=2) for ch in reversed(self.chans[:-1]))
        self.dec = nn.ModuleList(double_conv(2 * ch, ch) for ch in reversed(self.chans[:-1]))
        self.head = nn.Conv2d(self.chans[0], classes, 1)

    def forward(self, x):
        skips = []
        for down in self.down:
            x = down(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottom(x)
        for up, dec in zip(self.up, self.dec):
            x = torch.cat([skips.pop(), up(x)], dim=1)
            x = dec(x)
        return self.head(x)


def real_shapes(net, size):
    """Output shape of every leaf module by a real CPU forward pass."""
    shapes = {}

    def record(name):
        def hook(module, args, output):  # returns None: the output is kept as it is
            shapes.setdefault(name, tuple(output.shape))
        return hook

    hooks = [m.register_forward_hook(record(n)) for n, m in net.named_modules() if not list(m.children())]
    with torch.no_grad():
        out = net.eval()(torch.zeros(size))
    for h in hooks:
        h.remove()
    return shapes, tuple(out.shape)


def legible_px(fig):
    """Smallest text of the figure in slide pixels, the figure scaled to the slide."""
    return rendered_px(min(fig.data["font_sizes"]), fig.svg)


def test_small_convnet():
    net = small_convnet()
    fig = architecture(net, input_size=(1, 1, 28, 28), lang="en")
    d = fig.data
    shapes, out = real_shapes(net, (1, 1, 28, 28))
    convs = [n for n, m in net.named_modules() if isinstance(m, nn.Conv2d)]
    assert d["family"] == "plain" and d["output_shape"] == list(out)
    assert [b["name"] for s in d["blocks"] for b in s] == convs
    assert [[b["out_ch"] for b in s] for s in d["blocks"]] == [[8], [16]]
    assert [tuple(s["out_hw"]) for s in d["stages"]] == [shapes[c][-2:] for c in convs]
    assert [tuple(s["pool_hw"]) for s in d["stages"]] == [shapes["2"][-2:], shapes["6"][-2:]]
    assert [h["out_ch"] for h in d["head"] if h["kind"] == "fc"] == [32, 10] and d["num_classes"] == 10
    assert d["skips"] == []
    assert "conv 3×3 + ReLU (output channels)" not in d["texts"]  # BatchNorm too on the second
    assert legible_px(fig) >= MIN_TEXT_PX


@pytest.mark.parametrize("levels", [2, 3, 4])
def test_unet_levels_and_skips(levels):
    net = UNet(levels=levels)
    size = (1, 1, 64, 64)
    fig = architecture(net, input_size=size, lang="fr")
    d = fig.data
    shapes, out = real_shapes(net, size)
    assert d["family"] == "unet" and d["output_shape"] == list(out) == [1, 2, 64, 64]
    # every convolution is a block of a stage, with its real channels and size
    modules = dict(net.named_modules())
    convs = [(n, modules[n]) for n in shapes  # in the order the forward pass calls them
             if isinstance(modules[n], (nn.Conv2d, nn.ConvTranspose2d))]
    drawn = [b for s in d["blocks"] for b in s]
    assert [b["name"] for b in drawn] == [n for n, _ in convs]
    assert [b["out_ch"] for b in drawn] == [m.out_channels for _, m in convs]
    assert [tuple(b["out_hw"]) for b in drawn] == [shapes[n][-2:] for n, _ in convs]
    # encoder levels, bottom, decoder levels
    assert len(d["stages"]) == 2 * levels - 1
    assert [s["out_ch"] for s in d["stages"]][:levels] == net.chans
    # one concatenation skip per encoder level, from its last convolution to the decoder's cat,
    # innermost first (the order of the decoder)
    units = architecture_spec(net, size).units
    cats = [s for s in d["skips"] if s["kind"] == "cat"]
    assert len(cats) == levels - 1
    for skip, level in zip(cats, reversed(range(levels - 1))):
        src, dst = units[skip["src"]], units[skip["dst"]]
        assert src.name == f"down.{level}.2" and src.out_ch == net.chans[level]
        assert dst.kind == "cat" and dst.out_ch == 2 * net.chans[level]
        assert dst.out_hw == src.out_hw == shapes[f"down.{level}.2"][-2:]
    assert "C" in d["texts"] and "concaténation (saut)" in d["texts"]
    assert legible_px(fig) >= MIN_TEXT_PX


def test_residual_add_in_the_forward_is_a_skip():
    """A residual written in the model's own forward (not in a block module): a merge with a skip."""

    class Res(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(3, 8, 3, padding=1)
            self.b = nn.Conv2d(8, 8, 3, padding=1)
            self.c = nn.Conv2d(8, 8, 3, padding=1)

        def forward(self, x):
            x = torch.relu(self.a(x))
            return self.c(x + self.b(x))

    fig = architecture(Res(), input_size=(1, 3, 16, 16), lang="en")
    units = architecture_spec(Res(), (1, 3, 16, 16)).units
    (skip,) = fig.data["skips"]
    assert units[skip["src"]].name == "a" and units[skip["dst"]].kind == "add"
    assert units[skip["src"]].folded == ["relu"]
    assert "+" in fig.data["texts"]


@pytest.mark.parametrize("name", ["resnet18", "vgg16"])
def test_torchvision_models_are_cases_of_the_general_drawing(name):
    net = meta_model(name)
    fig = architecture(net, lang="fr")
    d = fig.data
    if name == "resnet18":
        assert d["family"] == "residual" and d["model"] == "ResNet-18"
        blocks = [b for layer in (net.layer1, net.layer2, net.layer3, net.layer4) for b in layer]
        assert [b["name"] for s in d["blocks"] for b in s] == [
            f"layer{i}.{j}" for i in range(1, 5) for j in range(2)]
        assert [b["downsample"] for s in d["blocks"] for b in s] == [b.downsample is not None for b in blocks]
        assert [s["name"] for s in d["stages"]] == ["layer1", "layer2", "layer3", "layer4"]
        assert [h["kind"] for h in d["stem"]] == ["conv", "maxpool"]
        assert d["stem"][0]["out_ch"] == net.conv1.out_channels and d["stem"][0]["kernel"] == 7
    else:
        assert d["family"] == "plain" and d["model"] == "VGG-16"
        convs = [m for m in net.features if isinstance(m, nn.Conv2d)]
        assert [b["out_ch"] for s in d["blocks"] for b in s] == [m.out_channels for m in convs]
        assert [b["in_ch"] for s in d["blocks"] for b in s] == [m.in_channels for m in convs]
    assert d["skips"] == []  # residual shortcuts are drawn over their blocks, not as skips
    assert d["output_shape"] == [1, 1000]
    assert legible_px(fig) >= MIN_TEXT_PX


def test_a_block_drawn_alone_keeps_the_skip_from_its_input():
    """MobileNetV2's inverted residual, drawn alone: the "+" and its legend were drawn, but no line
    from the input to it (a skip from the model's own input was left out)."""
    import torchvision

    from figures import architecture_spec

    block = torchvision.models.mobilenet_v2().features[3]
    spec = architecture_spec(block, input_size=(1, 24, 56, 56))
    assert [(s.src, s.kind) for s in spec.skips] == [(-1, "add")]
