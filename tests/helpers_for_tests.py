"""What the tests share: the checkout's root, the build command, parse+execute a source, render it."""
from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from deck.execute import execute
from deck.render.documents import html_document, print_document, render_slides
from deck.source import parse

FRONT = "---\ntitle: Test\nlang: {lang}\n---\n"

ROOT = Path(__file__).resolve().parents[1]   # the checkout
BUILD = [sys.executable, str(ROOT / "build.py")]  # the README's command


def run_build(project, *args, env=None, timeout=120, fresh=False, environment: dict | None = None,
              kill_after: float | None = None) -> subprocess.CompletedProcess:
    """`python build.py ARGS` in the project's folder, as a lecturer runs it: the same command line,
    supervisor, messages and exit codes, in the environment the test has now (plus `env`), or in
    exactly `environment`. It is forked from a process that has imported torch and the rest already
    (tests/build_zygote.py: a fresh interpreter pays ~3 s of imports per build), unless `fresh`: what
    the test is about is the interpreter's start (imports, the re-exec, the hash seed). With
    `kill_after`, the build's process group is sent SIGKILL after that many seconds unless it ended
    first, as a CI runner's timeout does."""
    environ = {**(os.environ if environment is None else environment), **(env or {})}
    if fresh:
        return subprocess.run(BUILD + list(args), cwd=project.root, capture_output=True, text=True,
                              timeout=timeout, env=environ)
    return _zygote().build(project.root, [BUILD[1], *args], environ, timeout, kill_after)


class _Zygote:
    """This test process's handle on its build_zygote (started on first use, stopped at exit)."""

    def __init__(self):
        from deck.processes.child import Child

        env = {**os.environ, "PYTHONHASHSEED": "0"}  # the seed `python build.py` re-executes itself with
        self.child = Child("tests.build_zygote:serve", env=env)
        atexit.register(self.child.stop)

    def build(self, root: Path, argv: list[str], environ: dict, timeout: float,
              kill_after: float | None = None) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory(prefix="deck-run-") as tmp:
            out, err = os.path.join(tmp, "out"), os.path.join(tmp, "err")
            self.child.channel.send((str(root), argv, environ, out, err))
            kind, pid = self.child.channel.recv()
            assert kind == "started"
            if not self.child.channel.poll(timeout if kill_after is None else kill_after):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                if kill_after is None:
                    self.child.channel.recv()
                    raise subprocess.TimeoutExpired([sys.executable, *argv], timeout)
            kind, status = self.child.channel.recv()
            assert kind == "ended"
            read = lambda path: Path(path).read_bytes().decode("utf-8", "replace")  # noqa: E731
            return subprocess.CompletedProcess([sys.executable, *argv], os.waitstatus_to_exitcode(status),
                                               read(out), read(err))


_the_zygote: _Zygote | None = None


def _zygote() -> _Zygote:
    global _the_zygote
    if _the_zygote is None or not _the_zygote.child.alive():
        _the_zygote = _Zygote()
    return _the_zygote


def run(source: str, tmp_path: Path, lang: str = "en", check: bool = False, name: str = "t.md"):
    """Parse and execute `source` (front matter added) as slides_src/<name> under tmp_path."""
    path = tmp_path / "slides_src" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = FRONT.format(lang=lang) + textwrap.dedent(source).lstrip("\n")
    path.write_text(text, encoding="utf-8")
    deck = parse(text, path, tmp_path)
    problems = execute(deck, collect_errors=check)
    return deck, problems


def html(source: str, tmp_path: Path, lang: str = "en") -> str:
    deck, problems = run(source, tmp_path, lang)
    assert not problems.items, problems.items
    return html_document(deck, render_slides(deck, tmp_path))


def printed(source: str, tmp_path: Path, lang: str = "en", handout: bool = False) -> str:
    deck, problems = run(source, tmp_path, lang)
    assert not problems.items, problems.items
    return print_document(deck, render_slides(deck, tmp_path), handout)


def cache_entries(cache: Path, namespace: str, suffix: str = "") -> list[Path]:
    """The entry files of one namespace of deck's cache store (deck.shared.store)."""
    return sorted(p for p in (cache / namespace).rglob(f"*{suffix}") if p.is_file())


def rewrite_entry(path: Path, change) -> None:
    """Replace an entry's payload by `change(payload)`, signed as a holder of the key would: what a
    colleague sharing the cache (or deck itself, in another version) could write."""
    from deck.shared.store import Store

    store = Store(path.parents[2])
    namespace, name = path.parent.parent.name, path.name
    payload = store.get(namespace, name)
    assert payload is not None, f"{path} is not a valid entry"
    store.put(namespace, name, change(payload))


def gone(pid: int, timeout: float = 10.0) -> bool:
    """Has process `pid` ended (a zombie left to a parent that does not reap it counts as ended)?"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False
