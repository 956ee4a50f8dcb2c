"""First-layer kernels and feature maps: weights from the hub cache or a checkpoint, and the fallback.
(Downloading is tested against a local server in test_figures_weights.py.)"""

import hashlib
import os
import warnings
from urllib.parse import urlparse

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

from figures import kernels, photo_maps, weights

FALLBACK_FR = "Poids non entraînés (poids ImageNet non téléchargés)"
FALLBACK_EN = "Untrained weights (ImageNet weights not downloaded)"


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """Never a download from here: a missing checkpoint is the offline fallback."""
    monkeypatch.setenv("DECK_OFFLINE", "1")


def digest(t: torch.Tensor) -> str:
    return hashlib.sha256(t.detach().float().contiguous().numpy().tobytes()).hexdigest()


@pytest.fixture(scope="module")
def resnet18_home(tmp_path_factory):
    """A TORCH_HOME whose hub cache holds a (seeded, not ImageNet) resnet18 checkpoint
    under the file name torch hub would use for ResNet18_Weights.DEFAULT."""
    home = tmp_path_factory.mktemp("torch_home")
    url = torchvision.models.ResNet18_Weights.DEFAULT.url
    path = home / "hub" / "checkpoints" / os.path.basename(urlparse(url).path)
    path.parent.mkdir(parents=True)
    torch.manual_seed(1234)
    sd = torchvision.models.resnet18(weights=None).state_dict()
    torch.save(sd, path)
    return home, path, sd


@pytest.fixture
def empty_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    return tmp_path


def test_offline_fallback_is_visible_and_warned(empty_home):
    expected = empty_home / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    with pytest.warns(UserWarning, match=r"resnet18-f37072fd\.pth"):
        fig = kernels.first_conv_kernels("resnet18", max_kernels=16, lang="fr")
    assert fig.data["pretrained"] is False and fig.data["weights"] == "untrained"
    assert fig.data["status"] == "untrained_not_downloaded"
    assert fig.data["checkpoint"] == str(expected)
    assert any(FALLBACK_FR in t for t in fig.data["texts"])  # drawn on the figure...
    assert FALLBACK_FR in fig.svg  # ...as text
    assert FALLBACK_FR in fig.alt
    assert fig.data["n_kernels"] == 16 and fig.data["kernel_size"] == (7, 7)


def test_offline_fallback_english_and_deterministic(empty_home):
    with pytest.warns(UserWarning):
        a = kernels.first_conv_kernels("resnet18", lang="en", max_kernels=8)
    with pytest.warns(UserWarning):
        b = kernels.first_conv_kernels("resnet18", lang="en", max_kernels=8)
    assert any(FALLBACK_EN in t for t in a.data["texts"]) and FALLBACK_EN in a.alt
    assert a.svg == b.svg  # seeded untrained weights, deterministic SVG
    # untrained weights come from a local seed: the global RNG stream is untouched
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    with pytest.warns(UserWarning):
        weights.load_first_conv("resnet18")
    assert torch.equal(torch.rand(3), expected)


def test_weights_loaded_from_the_local_hub_cache(resnet18_home, monkeypatch):
    home, path, sd = resnet18_home
    monkeypatch.setenv("TORCH_HOME", str(home))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning
        fig = kernels.first_conv_kernels("resnet18", max_kernels=64)
        fc = weights.load_first_conv("resnet18")
    assert fig.data["pretrained"] is True and fc.pretrained is True
    assert fig.data["weights"] == "pretrained"
    assert fig.data["checkpoint"] == str(path) == fc.checkpoint
    assert fig.data["kernel_digest"] == digest(sd["conv1.weight"][:64])
    assert torch.equal(fc.module.weight, sd["conv1.weight"])
    assert not any("non entraînés" in t for t in fig.data["texts"])
    # and they are not the untrained fallback
    monkeypatch.setenv("TORCH_HOME", str(home / "elsewhere"))
    with pytest.warns(UserWarning):
        untrained = kernels.first_conv_kernels("resnet18", max_kernels=64)
    assert untrained.data["kernel_digest"] != fig.data["kernel_digest"]


def test_rgb_mode_draws_the_same_loaded_kernels(resnet18_home, monkeypatch):
    home, _, sd = resnet18_home
    monkeypatch.setenv("TORCH_HOME", str(home))
    fig = kernels.first_conv_kernels("resnet18", mode="rgb", lang="en", max_kernels=10)
    w = sd["conv1.weight"]
    assert fig.data["kernel_digest"] == digest(w[:10])
    assert fig.data["scale"] == pytest.approx({"min": float(w.min()), "max": float(w.max())})
    assert fig.data["n_kernels"] == 10


def test_feature_maps_use_the_loaded_first_conv(resnet18_home, monkeypatch):
    home, _, sd = resnet18_home
    monkeypatch.setenv("TORCH_HOME", str(home))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = photo_maps.feature_maps(model="resnet18", n=6)
    assert fig.data["pretrained"] is True and fig.data["n"] == 6
    # recompute independently: resnet18's conv1 is 7x7, stride 2, padding 3, no bias
    _, batch = photo_maps.load_photo(224)
    maps = F.conv2d(batch, sd["conv1.weight"], stride=2, padding=3)[0]
    std = maps.flatten(1).std(dim=1)
    assert fig.data["map_size"] == tuple(maps.shape[1:]) == (112, 112)
    assert fig.data["channels"] == sorted(std.topk(6).indices.tolist())
    assert fig.data["channel_std"] == pytest.approx([float(std[c]) for c in fig.data["channels"]],
                                                    rel=1e-4)


def test_feature_maps_fallback(empty_home):
    with pytest.warns(UserWarning, match="resnet18"):
        fig = photo_maps.feature_maps(model="resnet18", n=4, lang="fr")
    assert fig.data["pretrained"] is False
    assert any(FALLBACK_FR in t for t in fig.data["texts"])
    assert "Grace Hopper" in fig.alt and fig.data["image"] == "grace_hopper.jpg"
    assert os.path.isfile(photo_maps.sample_image_path())


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.pre = nn.Identity()
        self.body = nn.Sequential(nn.Conv2d(3, 6, 5), nn.ReLU(), nn.Conv2d(6, 4, 3))


def test_explicit_checkpoint_for_any_module(tmp_path):
    torch.manual_seed(3)
    saved = Tiny()
    path = tmp_path / "tiny.pt"
    torch.save(saved.state_dict(), path)
    torch.manual_seed(4)
    given = Tiny()
    before = given.body[0].weight.clone()
    fig = kernels.first_conv_kernels(given, checkpoint=path, max_kernels=64)
    assert fig.data["pretrained"] is True and fig.data["layer"] == "body.0"
    assert fig.data["n_kernels"] == 6 and fig.data["kernel_size"] == (5, 5)
    assert fig.data["kernel_digest"] == digest(saved.body[0].weight)
    assert torch.equal(given.body[0].weight, before)  # the given module is left alone


def test_module_without_checkpoint_is_drawn_as_given():
    torch.manual_seed(5)
    net = Tiny()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = kernels.first_conv_kernels(net)
    assert fig.data["pretrained"] is None and fig.data["status"] == "given"
    assert fig.data["weights"] == "given"
    assert fig.data["kernel_digest"] == digest(net.body[0].weight)


def test_unreadable_checkpoint_falls_back(tmp_path):
    path = tmp_path / "broken.pth"
    path.write_bytes(b"not a checkpoint")
    with pytest.warns(UserWarning, match="broken.pth"):
        fig = kernels.first_conv_kernels("resnet18", checkpoint=path, max_kernels=4)
    assert fig.data["status"] == "untrained_unreadable" and fig.data["pretrained"] is False


def test_bad_arguments():
    with pytest.raises(ValueError):
        kernels.first_conv_kernels(Tiny(), mode="grey")
    with pytest.raises(ValueError):  # 'rgb' needs 3 input channels
        kernels.first_conv_kernels(nn.Sequential(nn.Conv2d(1, 2, 3)), mode="rgb")
    with pytest.raises(ValueError):
        weights.resolve_weights("resnet18", "IMAGENET9K")


def test_grid_shape_holds_every_kernel():
    for n in (1, 3, 8, 10, 16, 32, 64, 96):
        rows, cols = kernels._grid_shape(n)
        assert rows * cols >= n and (rows - 1) * cols < n
