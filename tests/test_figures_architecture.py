"""Architecture diagrams: what is drawn must match the model's own modules."""

import pytest
import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import Bottleneck

from figures.architectures import architecture, architecture_spec, architecture_stages


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
    a = architecture("resnet18", lang="en")
    b = architecture("resnet18", lang="en")
    assert a.svg == b.svg
    assert "ResNet-18 architecture" in a.data["texts"]
    fr = architecture("resnet18", lang="fr")
    assert "Architecture de ResNet-18" in fr.data["texts"]
    assert "raccourci identité" in fr.data["texts"]


def test_unsupported_model():
    with pytest.raises(ValueError, match="ResNet and VGG"):
        architecture(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()))
