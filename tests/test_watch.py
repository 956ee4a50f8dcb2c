"""`python build.py --watch`: serving, the injected reload script, rebuild planning, worker death, Ctrl-C.

The page-level behaviour (reload in place, overlays in the browser) is in test_browser_deck.py; both
drive the command through `watch_process.WatchProcess`.
"""
from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import socket
import subprocess
import termios
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from helpers_for_tests import ROOT, gone
from watch_process import BUILD, SMALL, TIMEOUT, WatchProcess, default_sigint, small_deck, write

from deck.processes.exits import describe_exit
from deck.watch.changes import plan_rebuild
from deck.watch.server import DeckState, inject, live_script

# --------------------------------------------------------------------------------- units

def test_inject_puts_the_script_before_the_last_body_end():
    html = "<html><body><p>a</p></body></html>"
    out = inject(html, "X()")
    assert out == '<html><body><p>a</p><script data-deck-watch="1">X()</script>\n</body></html>'
    assert inject("<p>no body</p>", "X()").endswith('<script data-deck-watch="1">X()</script>\n')


def test_live_script_cannot_close_its_script_tag():
    script = live_script("</script><b>", "v1")
    assert "</script" not in script.lower()
    assert '"version": "v1"' in script


@pytest.mark.parametrize("code, text", [
    (1, "exit code 1"), (0, "exit code 0"), (-9, "killed by signal 9, SIGKILL"),
    (-11, "killed by signal 11, SIGSEGV"), (None, "no exit status"),
])
def test_describe_exit(code, text):
    assert describe_exit(code) == text


def _decks(tmp_path: Path) -> dict[str, DeckState]:
    src = tmp_path / "slides_src"
    a = DeckState("a", src / "a.md", "a.html", {src / "a.md", src / "snippets" / "m.md"})
    b = DeckState("b", src / "b.md", "b.html", {src / "b.md"})
    return {"a": a, "b": b}


def test_plan_rebuilds_only_the_decks_a_change_affects(tmp_path):
    decks, src = _decks(tmp_path), tmp_path / "slides_src"
    src.mkdir()
    figures = tmp_path / "figures"
    plan = lambda *changes: plan_rebuild(list(changes), decks, src, True, figures)  # noqa: E731
    assert plan(("modified", src / "b.md")).decks == {"b"}
    assert plan(("modified", src / "snippets" / "m.md")).decks == {"a"}
    # a file of the sources no deck is known to read (an image, a new include): every deck
    (src / "logo.png").write_bytes(b"png")
    assert plan(("added", src / "logo.png")).decks == {"a", "b"}
    # editors' temporary files are not changes; deleted unknown files neither
    assert plan(("modified", src / ".a.md.swp"), ("added", src / "a.md~"), ("deleted", src / "tmp123")).decks == set()
    figs = plan(("modified", figures / "kernels.py"))
    assert figs.restart and figs.decks == {"a", "b"}
    theme = plan(("modified", ROOT / "deck" / "themes" / "base.css"))
    assert theme.clear_caches and not theme.restart and theme.decks == {"a", "b"}
    new = src / "c.md"
    new.write_text("# C\n")
    assert plan(("added", new)).added == [new]
    gone = plan(("deleted", src / "b.md"))
    assert gone.removed == ["b"] and "b" not in gone.decks


def test_plan_retries_broken_decks_on_any_change(tmp_path):
    decks, src = _decks(tmp_path), tmp_path / "slides_src"
    decks["b"].error = "slides_src/b.md:3 (slide 2): boom"
    assert plan_rebuild([("modified", src / "a.md")], decks, src, True, None).decks == {"a", "b"}


# --------------------------------------------------------------------------------- the command

def test_watch_usage_errors(tmp_path):
    small_deck(tmp_path)
    for args, message in ((["--port", "0"], "--port and --pdf go with --watch"),
                          (["--watch", "--check"], "does not combine with --check"),
                          (["--watch", "--pdf-only"], "use --pdf")):
        r = subprocess.run([*BUILD, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert r.returncode == 2, (args, r.stderr)
        assert message in r.stderr


def test_busy_port_is_a_clear_error(tmp_path):
    small_deck(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run([*BUILD, "--watch", "--port", str(port)], cwd=tmp_path, capture_output=True,
                           text=True, timeout=60)
    assert r.returncode == 2
    assert f"cannot serve on 127.0.0.1:{port}" in r.stderr and "--port 0" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.slow
def test_serves_with_live_script_errors_in_terminal_survives_a_dying_worker(tmp_path):
    source = small_deck(tmp_path)
    watch = WatchProcess(tmp_path, DECK_TIMEOUT_GRACE="1")
    try:
        first = watch.wait_status(lambda s: s["builds"] >= 1)
        assert "watching for changes; rebuilding HTML only (add --pdf for the PDF too)" in watch.stdout
        assert f"t: {watch.url}t.html" in watch.stdout
        # the page served has the reload script; the file on disk stays as the build wrote it
        served = watch.get("t.html").decode()
        on_disk = (tmp_path / "build" / "t.html").read_text(encoding="utf-8")
        assert "data-deck-watch" in served and "EventSource" in served
        assert "data-deck-watch" not in on_disk and "EventSource" not in on_disk and "__deck__" not in on_disk
        assert re.sub(r'<script data-deck-watch="1">.*?</script>\n', "", served, flags=re.S) == on_disk
        assert not (tmp_path / "build" / "t.pdf").exists()  # HTML only under --watch unless --pdf
        assert "alpha" in on_disk

        # a failing cell: the terminal names file:line and the cause; the last good deck stays
        small_deck(tmp_path, cell="x / 0")
        # (a save may be heard as two changes, so two builds: each wait names what it waits for)
        bad = watch.wait_status(lambda s: s["failures"] >= 1 and "ZeroDivisionError" in (s["error"] or ""))
        assert bad["error"].startswith("slides_src/t.md:15 (slide 3): cell raised ZeroDivisionError")
        assert bad["version"] == first["version"]
        watch.wait_output(r"error: slides_src/t\.md:15 \(slide 3\): cell raised ZeroDivisionError", "stderr")
        assert (tmp_path / "build" / "t.html").read_text(encoding="utf-8") == on_disk

        # a cell that kills its process: reported with the cell, the server keeps serving, a fresh worker next
        small_deck(tmp_path, cell="import os; os.kill(os.getpid(), 9)")
        dead = watch.wait_status(lambda s: s["failures"] > bad["failures"] and "SIGKILL" in (s["error"] or ""))
        assert dead["error"].startswith("the build process died while building t (killed by signal 9, SIGKILL) "
                                        "while running the cell at slides_src/t.md:14 (slide 3)")
        watch.wait_output(r"error: the build process died while building t", "stderr")
        assert b"alpha" in watch.get("t.html")

        # a cell stuck where its time limit's alarm cannot reach it: stopped after limit + grace
        stuck = SMALL.replace("x = 6", "#| timeout: 1\n    import signal, time\n"
                              "    signal.pthread_sigmask(signal.SIG_BLOCK, {{signal.SIGALRM}})\n    time.sleep(60)")
        write(source, stuck.format(word="alpha", cell=""))
        slow = watch.wait_status(lambda s: s["failures"] > dead["failures"] and "did not stop" in (s["error"] or ""))
        assert slow["error"].startswith("slides_src/t.md:15 (slide 3): cell did not stop within its time limit of 1 s "
                                        "(stuck in native code)"), slow["error"]

        small_deck(tmp_path, word="omega")
        good = watch.wait_status(lambda s: s["builds"] > first["builds"] and s["error"] is None)
        assert good["error"] is None and good["version"] != first["version"]
        assert "omega" in (tmp_path / "build" / "t.html").read_text(encoding="utf-8")
        assert source.exists()
    finally:
        watch.stop()
    assert "Traceback" not in watch.stdout


def test_broken_first_build_included_file_and_ctrl_c(tmp_path):
    """No good build yet: a placeholder page with the error; a file included from outside slides_src/ is
    watched; Ctrl-C (SIGINT to the server alone) stops server and worker."""
    write(tmp_path / "extra" / "part.md", "Part says hello.\n")
    deck = """
        ---
        title: Included
        ---
        # One

        {% include "extra/part.md" %}

        ```{python}
        1 / 0
        ```
        """
    write(tmp_path / "slides_src" / "t.md", deck)
    watch = WatchProcess(tmp_path)
    try:
        broken = watch.wait_status(lambda s: s["failures"] >= 1)
        assert broken["error"].startswith("slides_src/t.md:9 (slide 2): cell raised ZeroDivisionError")
        page = watch.get("t.html").decode()
        assert "Building <b>t</b>" in page and "data-deck-watch" in page
        assert not (tmp_path / "build" / "t.html").exists()
        write(tmp_path / "extra" / "part.md", "Part says hi.\n")  # included: the deck is retried
        watch.wait_status(lambda s: s["failures"] > broken["failures"])
        write(tmp_path / "slides_src" / "t.md", deck.replace("1 / 0", "1 / 1"))
        built = watch.wait_status(lambda s: s["builds"] >= 1)  # a save may be heard as two changes
        write(tmp_path / "extra" / "part.md", "Part says goodbye.\n")
        page = tmp_path / "build" / "t.html"
        watch.wait_status(lambda s: s["builds"] > built["builds"] and "Part says goodbye." in page.read_text(encoding="utf-8"))
        worker = watch.worker_pid()
        seconds = watch.interrupt()
    finally:
        watch.stop()
    assert watch.proc.returncode == 0, watch.stderr
    assert seconds < 5
    # the cell's own traceback is part of its error message; none from deck or from the interrupt
    assert "KeyboardInterrupt" not in watch.stderr and "deck/" not in watch.stderr
    assert watch.stdout.rstrip().endswith("stopped")
    assert gone(worker), "the build process outlived the server"


def test_ctrl_c_in_a_terminal_stops_server_and_worker(tmp_path):
    """A real Ctrl-C: the terminal signals the whole foreground group, the worker included."""
    small_deck(tmp_path)
    env = dict(os.environ, DECK_CACHE_DIR=str(tmp_path / ".deck_cache"), TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    leader, follower = pty.openpty()

    def own_terminal():  # a session of its own, with the pseudo-terminal as controlling terminal
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        default_sigint()

    proc = subprocess.Popen([*BUILD, "--watch", "--port", "0"], cwd=tmp_path, env=env, stdin=follower,
                            stdout=follower, stderr=follower, preexec_fn=own_terminal)
    os.close(follower)
    text, worker, deadline = "", None, time.monotonic() + TIMEOUT
    try:
        while "built t" not in text and time.monotonic() < deadline and proc.poll() is None:
            if select.select([leader], [], [], 0.1)[0]:
                text += os.read(leader, 65536).decode("utf-8", "replace")
        assert "built t" in text, text
        url = re.search(r"(http://127\.0\.0\.1:\d+/)", text).group(1)
        with urllib.request.urlopen(url + "__deck__/status", timeout=10) as r:
            worker = json.loads(r.read())["worker"]
        start = time.monotonic()
        os.write(leader, b"\x03")
        status = proc.wait(timeout=10)
        seconds = time.monotonic() - start
        while select.select([leader], [], [], 0.1)[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            text += chunk.decode("utf-8", "replace")
    finally:
        os.close(leader)
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    assert status == 0, text
    assert seconds < 5
    assert "\x1b[" in text  # on a terminal: progress bars and colours
    assert "Traceback" not in text and "stopped" in text
    assert gone(worker), "the build process outlived the server"


@pytest.mark.slow
def test_ctrl_c_during_a_long_cell_exits_promptly(tmp_path):
    started = tmp_path / "cell-started"
    small_deck(tmp_path, cell=f"import time; open({str(started)!r}, 'w').close(); time.sleep(120)")
    watch = WatchProcess(tmp_path)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists() and watch.status()["building"]
        worker = watch.worker_pid()
        seconds = watch.interrupt()
    finally:
        watch.stop()
    assert watch.proc.returncode == 0, watch.stderr
    assert seconds < 6
    assert "Traceback" not in watch.stderr
    assert gone(worker), "the build process outlived the server"


@pytest.mark.slow
def test_edits_saved_during_a_build_are_built_after_it(tmp_path):
    """A save while a build runs (the first one, or any later one) is built once that build ends."""
    started, release = tmp_path / "cell-started", tmp_path / "release"
    blocking = (f"import os, time; open({str(started)!r}, 'w').close(); "
                f"any(time.sleep(0.05) for _ in iter(lambda: os.path.exists({str(release)!r}), True))")

    def wait_for(path: Path) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.exists(), f"{path.name} never appeared"

    def served_word(word: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            html = tmp_path / "build" / "t.html"
            if html.exists() and f"The word is {word}." in html.read_text(encoding="utf-8"):
                return
            time.sleep(0.1)
        raise AssertionError(f"{word!r} never reached build/t.html:\n{watch.stdout}\n{watch.stderr}")

    small_deck(tmp_path, word="alpha", cell=blocking)
    watch = WatchProcess(tmp_path)
    try:
        wait_for(started)                      # the first build is running its cell
        small_deck(tmp_path, word="beta", cell=blocking)
        time.sleep(1.5)                        # past the watcher's debounce: the change is seen now
        release.touch()
        served_word("beta")                    # built after the first build
        started.unlink()
        release.unlink()
        small_deck(tmp_path, word="gamma", cell=blocking + "; 2")  # a new cell: it runs, and blocks
        wait_for(started)
        small_deck(tmp_path, word="delta", cell=blocking + "; 2")
        time.sleep(1.5)
        release.touch()
        served_word("delta")                   # built after a later build
    finally:
        watch.stop()


def _raw_get(port: int, target: str, host: str | None) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\n".encode() + (f"Host: {host}\r\n".encode() if host else b"")
                  + b"Connection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        return data


def test_server_answers_only_to_local_hosts_and_refuses_malformed_paths(tmp_path, capfd):
    """DNS rebinding: a page on evil.example that made its name point at 127.0.0.1 sends its own Host."""
    from deck.watch.server import WatchState, make_server

    (tmp_path / "t.html").write_text("<html><body>deck</body></html>", encoding="utf-8")
    state = WatchState(tmp_path)
    state.decks["t"] = DeckState("t", tmp_path / "t.md", "t.html")
    server = make_server(state, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "localhost", f"LOCALHOST:{port}"):
            reply = _raw_get(port, "/t.html", host)
            assert reply.startswith(b"HTTP/1.0 200"), (host, reply[:80])
            assert b"deck" in reply
        for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}", f"127.0.0.1.evil.example:{port}", None):
            for target in ("/t.html", "/__deck__/status", "/"):
                reply = _raw_get(port, target, host)
                assert reply.startswith(b"HTTP/1.0 403"), (host, target, reply[:80])
                assert b"<body>deck" not in reply and b'"decks"' not in reply
        for target in ("/%00", "/t.html%00", "/%0a", "*"):
            assert _raw_get(port, target, f"127.0.0.1:{port}").startswith(b"HTTP/1.0 400"), target
    finally:
        server.shutdown()
        server.server_close()
    assert "Traceback" not in capfd.readouterr().err
