"""A figure whose pretrained weights could not be downloaded is a result: cached under the absence of
the weights file, it runs no cell on the next build; the download is tried again at most once an
hour, at once with --refresh-weights, never offline, and a retry that fails runs no cell either.

Real builds of a small deck, in this process (so that the weights entry can point at a local HTTP
server made here, as in test_figures_weights.py, whose server and checkpoint this file shares)."""
from __future__ import annotations

import json
import shutil
import socket

import pytest
import torchvision
from test_figures_weights import Server, checkpoint  # noqa: F401  (checkpoint: a fixture)

from deck.pipeline import build_deck
from figures import weights

pytestmark = pytest.mark.slow

WEIGHTS = torchvision.models.ResNet18_Weights.IMAGENET1K_V1  # resnet18's DEFAULT

DECK = """\
---
title: Weights
lang: en
---
# Before

```{python}
x = 20
```

---
# The kernels

```{python}
#| echo: false
fig = figures.cached(figures.first_conv_kernels, "resnet18", max_kernels=4)
fig
```

These kernels are `{py} fig.data["weights"]`.

---
# After

```{python}
x + 1
```

Prose: PROSE
"""


@pytest.fixture
def setup(project, checkpoint, monkeypatch, tmp_path):  # noqa: F811 (the fixture imported above)
    """A project with the deck, an empty torch hub cache, the weights entry pointing at a served file
    (`served.ok`) or at one the server does not have (404), and no offline setting."""
    folder, served, _ = checkpoint
    server = Server(folder)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.delenv("DECK_OFFLINE", raising=False)
    monkeypatch.delenv("DECK_REFRESH_WEIGHTS", raising=False)
    monkeypatch.setattr(weights, "_tried_now", set())
    hub = tmp_path / "torch_home" / "hub" / "checkpoints"

    class Setup:
        def serve(self, ok: bool) -> None:
            name = served.name if ok else "resnet18-00000000.pth"
            monkeypatch.setattr(WEIGHTS.value, "url", f"{server.url}/{name}")
            self.file = hub / name

        def build(self, prose: str = "one", **kw):
            path = project.deck(DECK.replace("PROSE", prose))
            report = build_deck(path, project.options(verbose=True, pdf=False, **kw))
            assert not report.problems, report.problems
            # the figure's warning, from a cached result too, while the file is absent
            said = any("Pretrained weights not downloaded" in w for w in report.warnings)
            assert said is (not self.file.exists()), report.warnings
            return report

        def html(self) -> str:
            return (project.root / "build" / "t.html").read_text(encoding="utf-8")

        def tried(self) -> float:
            records = json.loads((project.root / ".deck_cache" / weights.ATTEMPTS_FILE).read_text())
            return records[str(self.file)]["tried"]

        def an_hour_ago(self) -> None:
            """The last attempt was an hour and a second ago (as the record keeps it)."""
            path = project.root / ".deck_cache" / weights.ATTEMPTS_FILE
            records = json.loads(path.read_text())
            records[str(self.file)]["tried"] -= weights.RETRY_AFTER_S + 1
            path.write_text(json.dumps(records))

    s = Setup()
    s.server, s.served, s.hub = server, served, hub
    s.serve(ok=False)
    yield s
    server.close()


def ran(report) -> list[str]:
    """Cache log lines of cells that ran or were re-run (none of a build that reuses every result)."""
    return [line for line in report.cache_log if " ran:" in line or "re-run" in line or "not cached" in line]


def test_a_failed_download_is_cached_and_a_prose_edit_runs_no_cell(setup, capfd):
    first = setup.build()
    assert setup.server.requests == ["/resnet18-00000000.pth"] and len(ran(first)) == 3
    assert "download of the pretrained weights" in capfd.readouterr().err  # why, on stderr
    assert first.fallbacks == 1  # the summary counts it
    page = setup.html()
    assert "Untrained weights (ImageNet weights not downloaded)" in page and 'are <span class="computed">untrained<' in page
    second = setup.build(prose="two")
    assert ran(second) == [] and setup.server.requests == ["/resnet18-00000000.pth"]  # within the hour
    assert second.fallbacks == 1
    assert setup.html() == page.replace("Prose: one", "Prose: two")


def test_a_retry_an_hour_later_that_fails_runs_no_cell(setup):
    setup.build()
    before = setup.tried()
    setup.an_hour_ago()
    report = setup.build()
    assert len(setup.server.requests) == 2 and ran(report) == []
    assert setup.tried() >= before  # the new attempt's time, kept beside the cache
    setup.build()
    assert len(setup.server.requests) == 2  # and not again within the hour


def test_the_download_is_retried_when_due_and_the_figure_drawn_with_the_weights(setup):
    setup.serve(ok=True)
    shutil.move(setup.served, setup.served.with_suffix(".away"))  # the server does not have it yet
    try:
        first = setup.build()
        assert len(setup.server.requests) == 1 and first.fallbacks == 1
    finally:
        shutil.move(setup.served.with_suffix(".away"), setup.served)  # now it has
    report = setup.build()
    assert len(setup.server.requests) == 1 and ran(report) == []  # within the hour: not tried
    setup.an_hour_ago()
    report = setup.build()
    assert len(setup.server.requests) == 2 and setup.file.exists()
    assert report.fallbacks == 0 and 'are <span class="computed">pretrained<' in setup.html()
    log = "\n".join(ran(report))
    assert "cell 2 ran: a file it reads changed" in log
    # the cell after the figure runs again too: it might use what the figure drew
    assert "cell 3 ran" in log and "cell 1 ran" not in log  # (it may be re-run, cheap, for the namespace)


def test_refresh_weights_tries_at_once_and_once_per_process(setup, monkeypatch):
    setup.build()
    monkeypatch.setenv("DECK_REFRESH_WEIGHTS", "1")  # what --refresh-weights sets
    report = setup.build()
    assert len(setup.server.requests) == 2 and ran(report) == []
    setup.build()  # a --watch worker's next build: not again
    assert len(setup.server.requests) == 2


def test_offline_never_tries_and_the_first_build_online_tries_once(setup, monkeypatch):
    monkeypatch.setenv("DECK_OFFLINE", "1")
    offline = setup.build()
    assert setup.server.requests == [] and offline.fallbacks == 1
    page = setup.html()
    monkeypatch.delenv("DECK_OFFLINE")
    online = setup.build()  # the same results: a fallback does not depend on why
    assert len(setup.server.requests) == 1 and ran(online) == [] and setup.html() == page
    monkeypatch.setenv("DECK_OFFLINE", "1")
    setup.an_hour_ago()
    setup.build()
    assert len(setup.server.requests) == 1


def test_weights_put_in_the_hub_cache_are_shown_at_the_next_build(setup):
    setup.serve(ok=True)
    shutil.move(setup.served, setup.served.with_suffix(".away"))
    try:
        setup.build()
    finally:
        shutil.move(setup.served.with_suffix(".away"), setup.served)
    setup.hub.mkdir(parents=True, exist_ok=True)
    shutil.copy(setup.served, setup.file)  # the lecturer copied them there
    report = setup.build()
    assert len(setup.server.requests) == 1 and report.fallbacks == 0 and 'are <span class="computed">pretrained<' in setup.html()


def test_a_server_that_does_not_answer_is_given_up_after_the_probe_timeout():
    """A listening socket whose backlog is full takes no more connections: a connect waits."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    clients = []
    for _ in range(3):  # fill the backlog
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        clients.append(c)
    try:
        with pytest.raises(OSError, match=f"no answer from 127.0.0.1 within {weights.PROBE_TIMEOUT_S:g} s"):
            weights._probe(f"http://127.0.0.1:{port}/resnet18-00000000.pth")
    finally:
        for c in clients:
            c.close()
        listener.close()


def test_the_probe_goes_through_the_proxy_urllib_would_use(monkeypatch):
    """A machine whose only way out is a proxy: the probe asks the proxy, not the weights' host."""
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")  # the discard port: refused at once
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with pytest.raises(OSError, match="Connection refused"):  # refused, not looked up or timed out
        weights._probe("https://download.pytorch.org/models/resnet18-f37072fd.pth")


def test_the_one_setting_function_reads_a_settings_object_or_the_environment(monkeypatch):
    class Settings:
        offline, refresh_weights = False, True

    assert weights.download_setting(Settings()) == "now"
    Settings.offline = True
    assert weights.download_setting(Settings()) == "never"
    monkeypatch.delenv("DECK_OFFLINE", raising=False)
    monkeypatch.delenv("DECK_REFRESH_WEIGHTS", raising=False)
    assert weights.download_setting() == "hourly"
    monkeypatch.setenv("DECK_REFRESH_WEIGHTS", "1")
    assert weights.download_setting() == "now"
    monkeypatch.setenv("DECK_OFFLINE", "1")
    assert weights.download_setting() == "never"
