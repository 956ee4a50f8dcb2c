"""`python build.py --watch` as a test drives it: a process of its own, its output collected, its state read."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

from helpers_for_tests import BUILD

TIMEOUT = 30.0


def default_sigint() -> None:
    """preexec_fn: Ctrl-C reaches the command as in a terminal, even when this suite runs where SIGINT
    is ignored (a background job of a script, `cmd &`), a disposition its processes would inherit."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class WatchProcess:
    """`python build.py --watch --port 0` on a project folder, with its output collected.

    It runs in a process group of its own, as a command started from a shell: Ctrl-C (`interrupt`)
    signals the whole group, as a terminal does (build.py's supervising parent leaves it to its child).
    """

    def __init__(self, root: Path, *args: str, **env_vars: str):
        env = dict(os.environ, DECK_CACHE_DIR=str(root / ".deck_cache"), PYTHONUNBUFFERED="1", **env_vars)
        env.pop("NO_COLOR", None)
        self.root = root
        self.proc = subprocess.Popen([*BUILD, "--watch", "--port", "0", *args], cwd=root, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     start_new_session=True, preexec_fn=default_sigint)
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [threading.Thread(target=self._read, args=(s, buf), daemon=True)
                         for s, buf in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for t in self._readers:
            t.start()
        found = self.wait_output(r"at (http://127\.0\.0\.1:\d+/)")
        self.url = found.group(1)

    @staticmethod
    def _read(stream, buf: list[str]) -> None:
        for line in stream:
            buf.append(line)

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    def wait_output(self, pattern: str, stream: str = "stdout", timeout: float = TIMEOUT) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, getattr(self, stream))
            if m:
                return m
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the readers catch the last lines
                m = re.search(pattern, getattr(self, stream))
                if m:
                    return m
                raise AssertionError(f"watch exited ({self.proc.returncode}) before {pattern!r}:\n"
                                     f"{self.stdout}\n{self.stderr}")
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} after {timeout} s:\n{self.stdout}\n{self.stderr}")

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=10) as r:
            return r.read()

    def status(self, deck: str = "t") -> dict:
        return json.loads(self.get("__deck__/status"))["decks"][deck]

    def worker_pid(self) -> int:
        return json.loads(self.get("__deck__/status"))["worker"]

    def wait_status(self, check, deck: str = "t", timeout: float = TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.status(deck)
            if not last["building"] and check(last):
                return last
            time.sleep(0.05)
        raise AssertionError(f"status never matched; last: {last}\n{self.stdout}\n{self.stderr}")

    def interrupt(self, timeout: float = 10.0) -> float:
        """Ctrl-C; the seconds it took to exit (fails if it does not exit in `timeout`)."""
        start = time.monotonic()
        os.killpg(self.proc.pid, signal.SIGINT)
        self.proc.wait(timeout=timeout)
        for t in self._readers:
            t.join(5)
        return time.monotonic() - start

    def stop(self) -> None:
        """Stop it, whatever state it is in; nothing of the group survives."""
        if self.proc.poll() is None:
            try:
                self.interrupt()
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.wait(5)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


SMALL = """
    ---
    title: Watched
    lang: en
    ---
    # One

    The word is {word}.

    ---

    # Two

    ```{{python}}
    x = 6
    {cell}
    ```
    """


def small_deck(root: Path, word: str = "alpha", cell: str = "x * 7") -> Path:
    path = root / "slides_src" / "t.md"
    write(path, SMALL.format(word=word, cell=cell))
    return path
