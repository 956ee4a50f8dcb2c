"""Functions the tests of deck/processes/child.py run in a `Child` (importable there as
`tests.child_targets`: the child has the checkout on its path)."""
from __future__ import annotations

import os
import signal
import sys
import time


def echo(channel) -> None:
    """Send back what is received, until the channel ends; a print on the way must not enter it."""
    while True:
        try:
            message = channel.recv()
        except EOFError:
            return
        print("a stray print", flush=True)
        os.write(1, b"a stray write to fd 1\n")
        channel.send(message)


def read_stdin(channel) -> None:
    """What `input()` sees: the channel is not the child's stdin any more."""
    try:
        line = input()
    except EOFError:
        line = None
    channel.send(line)


def die(channel) -> None:
    channel.recv()
    os.kill(os.getpid(), signal.SIGKILL)


def deaf(channel) -> None:
    """Busy, never reading its channel and ignoring SIGTERM: only SIGKILL stops it."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    channel.send("ready")
    while True:
        time.sleep(0.05)


def parent_pid(channel) -> None:
    """Never reads its channel again: only dying with its parent ends it."""
    channel.send((os.getppid(), sys.argv[0]))
    time.sleep(120)
