"""A helper process deck starts as a fresh interpreter, and the messages it exchanges with it.

Three helpers live beside a build rather than inside it: the --watch worker (keeps imports warm
between builds), the PDF helper (lays slides out while cells still run) and the pytest plugin's
check (one deck checked away from the test run). They are started here, one way: `Child(target)`
runs `target(channel)` (a `"module:function"` of deck) in `python -c`, with deck's checkout first on
its path. They are fresh interpreters, not forks, because each starts beside live threads (the
PDF helper beside a build's cells, the worker beside the server's) that a fork would copy half-way.
The build itself is forked (supervisor.py): its parent has imported nothing heavy yet.

The channel is the child's stdin and stdout, carrying length-prefixed pickles. In the child, fd 1
becomes stderr (stray prints, from C libraries too, never enter the channel) and fd 0 /dev/null (a
cell calling `input()` never reads it). A child dies with its parent (Linux), ignores Ctrl-C (the
parent decides when it stops) and is stopped by `Child.stop`: asked (its input closes, or a last
message), then SIGTERM, then SIGKILL.
"""
from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from .exits import describe_exit

_HEAD = struct.Struct("<Q")
_CHECKOUT = str(Path(__file__).resolve().parents[2])  # the folder holding deck/ (and figures/)
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from deck.processes.child import _main; _main(sys.argv[2])"


class Channel:
    """Pickled messages over a pair of pipe file descriptors (either side of a `Child`)."""

    def __init__(self, read_fd: int, write_fd: int):
        self.read_fd, self.write_fd = read_fd, write_fd
        self.buffer = bytearray()

    def send(self, message: Any) -> None:
        blob = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(_HEAD.pack(len(blob)) + blob)
        while view:
            view = view[os.write(self.write_fd, view):]

    def poll(self, timeout: float | None = 0.0) -> bool:
        """Whether a message (or the end of the channel) can be read without waiting longer than
        `timeout` seconds (None: as long as it takes)."""
        if self._complete():
            return True
        ready, _, _ = select.select([self.read_fd], [], [], timeout)
        return bool(ready)

    def recv(self) -> Any:
        """The next message; EOFError when the other side has closed its end (or died)."""
        while not self._complete():
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise EOFError("the other process closed the channel")
            self.buffer += chunk
        size = _HEAD.unpack_from(self.buffer)[0]
        blob = bytes(self.buffer[_HEAD.size:_HEAD.size + size])
        del self.buffer[:_HEAD.size + size]
        return pickle.loads(blob)

    def _complete(self) -> bool:
        return len(self.buffer) >= _HEAD.size and len(self.buffer) >= _HEAD.size + _HEAD.unpack_from(self.buffer)[0]

    def close_sending(self) -> None:
        """Close this side's writing end (the child's side; a `Child` closes its pipe's file object):
        the other side's `recv` then ends with EOFError."""
        with contextlib.suppress(OSError):
            os.close(self.write_fd)


class Child:
    """`target(channel)` running in a new interpreter, watched and stopped from here."""

    def __init__(self, target: str, *, env: dict[str, str] | None = None, stderr: IO | int | None = None):
        self.target = target
        self.process = subprocess.Popen([sys.executable, "-c", _BOOT, _CHECKOUT, target], bufsize=0,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env)
        assert self.process.stdin is not None and self.process.stdout is not None  # both opened as pipes
        self.stdin, self.stdout = self.process.stdin, self.process.stdout
        self.channel = Channel(self.stdout.fileno(), self.stdin.fileno())

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def exitcode(self) -> int | None:
        """As `subprocess` gives it: negative when a signal killed the process; None while it runs."""
        return self.process.poll()

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code once the process has ended, or None if it still runs after `timeout` s."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def ended(self) -> str:
        """How the process ended, said as everywhere in deck ("killed by signal 9, SIGKILL")."""
        return describe_exit(self.exitcode)

    def stop(self, last_message: Any = None, grace: float = 2.0) -> None:
        """Ask the process to end (its input closes, after `last_message` if one is given); past
        `grace` seconds, terminate it; past two more, kill it. Its pipes are closed afterwards."""
        if self.alive():
            with contextlib.suppress(OSError, ValueError):
                if last_message is not None:
                    self.channel.send(last_message)
            with contextlib.suppress(OSError):
                self.stdin.close()  # through its file object: the fd number is never closed twice
            for ending in (None, self.process.terminate, self.process.kill):
                if ending is not None:
                    with contextlib.suppress(OSError):
                        ending()
                if self.wait(grace if ending is None else 2.0) is not None:
                    break
        for stream in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        self.channel.read_fd = self.channel.write_fd = -1  # a late send or recv fails (EBADF), never reaches a reused fd


def _main(target: str) -> None:
    """The child's side: take the channel from fds 0 and 1, then run `target(channel)`."""
    parent = os.getppid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from ..shared.signals import die_with_parent

    die_with_parent(parent)
    channel = Channel(os.dup(0), os.dup(1))
    os.dup2(2, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    module, _, name = target.partition(":")
    getattr(importlib.import_module(module), name)(channel)
