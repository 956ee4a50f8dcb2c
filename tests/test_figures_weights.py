"""Pretrained weights are downloaded as torchvision does (torch hub cache, hash checked, once),
unless offline; offline or on failure the figure shows untrained weights and says why.

The download code is the real one; only the URL of the weights entry points at a local HTTP server
serving a checkpoint made here (resnet18's shapes, seeded, not ImageNet's values)."""

import hashlib
import http.server
import threading
import warnings
from pathlib import Path

import pytest
import torch
import torchvision

import figures
from figures import weights

WEIGHTS = torchvision.models.ResNet18_Weights.IMAGENET1K_V1  # resnet18's DEFAULT


class Server:
    """http.server on 127.0.0.1 in a thread, serving one folder and counting the requests."""

    def __init__(self, folder: Path):
        self.requests: list[str] = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(folder), **kwargs)

            def do_GET(self):  # noqa: N802 (http.server's name)
                server.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):  # quiet test output
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A resnet18 state dict saved under torch hub's naming: <name>-<first 8 hex of its sha256>.pth,
    so that the hash check torchvision asks for holds."""
    folder = tmp_path_factory.mktemp("served")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(4321)
        state = torchvision.models.resnet18(weights=None).state_dict()
    tmp = folder / "resnet18.tmp"
    torch.save(state, tmp)
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    served = folder / f"resnet18-{digest[:8]}.pth"
    tmp.rename(served)
    return folder, served, state


@pytest.fixture
def server(checkpoint):
    s = Server(checkpoint[0])
    yield s
    s.close()


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setenv("DECK_CACHE_DIR", str(tmp_path / "deck_cache"))
    monkeypatch.delenv("DECK_OFFLINE", raising=False)
    return tmp_path / "torch_home" / "hub" / "checkpoints"


def point_weights_at(monkeypatch, url):
    # the weights entry only: torchvision's Weights.url, read by checkpoint_path and the download
    monkeypatch.setattr(WEIGHTS.value, "url", url)


def digest(t):
    return hashlib.sha256(t.detach().float().contiguous().numpy().tobytes()).hexdigest()


def test_downloaded_once_into_the_hub_cache(home, server, checkpoint, monkeypatch, capfd):
    _, served, state = checkpoint
    point_weights_at(monkeypatch, f"{server.url}/{served.name}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning
        fig = figures.first_conv_kernels("resnet18", lang="en", max_kernels=16)
    assert server.requests == [f"/{served.name}"]
    stored = home / served.name
    assert stored.read_bytes() == served.read_bytes()  # where torchvision puts it, intact
    assert "%" in capfd.readouterr().err  # torch hub's progress bar
    assert fig.data["weights"] == "pretrained" and fig.data["status"] == "pretrained"
    assert fig.data["checkpoint"] == str(stored)
    assert fig.data["kernel_digest"] == digest(state["conv1.weight"][:16])
    assert "Pretrained weights IMAGENET1K_V1" in fig.data["texts"]
    # once: the feature maps and a second kernels figure read the file, no new request
    maps = figures.feature_maps(model="resnet18", n=4, lang="en")
    again = figures.first_conv_kernels("resnet18", lang="en", max_kernels=16)
    assert len(server.requests) == 1
    assert maps.data["weights"] == "pretrained" and again.svg == fig.svg


def test_cached_figure_after_a_download_hits_next_time(home, server, checkpoint, monkeypatch):
    _, served, _ = checkpoint
    point_weights_at(monkeypatch, f"{server.url}/{served.name}")
    first = figures.cached(figures.first_conv_kernels, "resnet18", lang="en", max_kernels=4)
    from helpers_for_tests import cache_entries

    files = cache_entries(home.parents[2] / "deck_cache", "figures", ".json")
    # stored under the key with the checkpoint present: the next build finds it without building
    second = figures.cached(figures.first_conv_kernels, "resnet18", lang="en", max_kernels=4)
    assert len(files) == 1 and len(server.requests) == 1
    assert first.svg == second.svg and second.data["weights"] == "pretrained"


@pytest.mark.slow
def test_offline_never_downloads(home, server, checkpoint, monkeypatch):
    _, served, _ = checkpoint
    point_weights_at(monkeypatch, f"{server.url}/{served.name}")
    monkeypatch.setenv("DECK_OFFLINE", "1")
    with pytest.warns(UserWarning, match=r"Pretrained weights not downloaded \(.*" + served.name):
        fig = figures.first_conv_kernels("resnet18", lang="en", max_kernels=4)
    assert server.requests == [] and not home.exists()
    assert fig.data["weights"] == "untrained" and fig.data["status"] == "untrained_not_downloaded"
    label = "Untrained weights (ImageNet weights not downloaded)"
    assert label in fig.data["texts"] and label in fig.alt and label in fig.svg
    # the offline figure is cached under the key of the file's absence; going online, the download
    # is due (none was tried), the file comes, and the figure is built anew with it
    with pytest.warns(UserWarning, match="not downloaded"):
        offline_fig = figures.cached(figures.first_conv_kernels, "resnet18", lang="en", max_kernels=4)
    monkeypatch.delenv("DECK_OFFLINE")
    online_fig = figures.cached(figures.first_conv_kernels, "resnet18", lang="en", max_kernels=4)
    assert offline_fig.data["weights"] == "untrained" and online_fig.data["weights"] == "pretrained"
    assert len(server.requests) == 1


@pytest.mark.slow
@pytest.mark.parametrize("case", ["http 404", "wrong hash", "no server"])
def test_failed_download_falls_back_and_says_why(home, server, checkpoint, monkeypatch, case, capfd):
    _, served, _ = checkpoint
    if case == "http 404":
        url, reason = f"{server.url}/resnet18-00000000.pth", "HTTP Error 404"
    elif case == "wrong hash":  # the file is served, under a name whose hash prefix is not its own
        (served.parent / "resnet18-0badbeef.pth").write_bytes(served.read_bytes())
        url, reason = f"{server.url}/resnet18-0badbeef.pth", "invalid hash value"
    else:
        url, reason = "http://127.0.0.1:9/resnet18-00000000.pth", "URLError"  # discard port: refused
    point_weights_at(monkeypatch, url)
    with pytest.warns(UserWarning) as caught:
        fig = figures.first_conv_kernels("resnet18", lang="fr", max_kernels=4)
    message = " ".join(str(w.message) for w in caught)
    assert "Poids pré-entraînés non téléchargés" in message and url in message
    # why, for this build only (the warning is kept with the figure and said again on each hit)
    said = capfd.readouterr().err
    assert f"download of the pretrained weights {url} failed" in said and reason in said
    assert fig.data["weights"] == "untrained" and fig.data["status"] == "untrained_not_downloaded"
    assert "Poids non entraînés (poids ImageNet non téléchargés)" in fig.data["texts"]
    assert not list(home.glob("*.pth"))  # nothing half-written left as if it were the weights
    # the fallback is a result: cached, and no new attempt within the hour (test_weights_retry.py)
    requests = len(server.requests)
    with pytest.warns(UserWarning):
        first = figures.cached(figures.first_conv_kernels, "resnet18", lang="fr", max_kernels=4)
    with pytest.warns(UserWarning):
        second = figures.cached(figures.first_conv_kernels, "resnet18", lang="fr", max_kernels=4)
    assert len(server.requests) == requests and first.svg == second.svg == fig.svg


def test_offline_switch():
    for value, expected in (("1", True), ("yes", True), ("0", False), ("", False)):
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("DECK_OFFLINE", value)
            assert weights.offline() is expected
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DECK_OFFLINE", raising=False)
        assert weights.offline() is False
