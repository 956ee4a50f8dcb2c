"""The helpers deck starts as fresh interpreters (deck/processes/child.py): one channel, one way to
stop them, a death said as everywhere."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from helpers_for_tests import ROOT

from deck.processes.child import Child

pytestmark = pytest.mark.process


def test_messages_go_both_ways_and_stray_prints_stay_out_of_the_channel(tmp_path):
    with open(tmp_path / "stderr", "w+b") as stderr:
        child = Child("tests.child_targets:echo", stderr=stderr)
        try:
            big = {"blob": b"x" * 3_000_000, "n": 7}  # past any pipe buffer: framed, not one write
            for message in ("hello", big, ["é", 1.5]):
                child.channel.send(message)
                assert child.channel.recv() == message
        finally:
            child.stop()
        stderr.seek(0)
        assert b"a stray print" in stderr.read()
    assert child.exitcode == 0  # its input closed: it returned


def test_input_reads_dev_null_not_the_channel():
    child = Child("tests.child_targets:read_stdin")
    try:
        assert child.channel.poll(30)
        assert child.channel.recv() is None
    finally:
        child.stop()


def test_a_death_is_named_and_the_channel_ends():
    child = Child("tests.child_targets:die")
    child.channel.send("go")
    with pytest.raises(EOFError):
        child.channel.recv()
    assert child.wait(10) is not None
    assert child.ended() == "killed by signal 9, SIGKILL"
    child.stop()


def test_stop_escalates_to_kill_for_a_child_that_ignores_everything():
    child = Child("tests.child_targets:deaf")
    assert child.channel.recv() == "ready"
    started = time.monotonic()
    child.stop(grace=0.2)
    assert not child.alive()
    assert child.exitcode == -9
    assert time.monotonic() - started < 10
    with pytest.raises(OSError):  # after stop, the channel is closed for good (never a reused fd)
        child.channel.send("late")


def test_a_child_dies_with_its_parent(tmp_path):
    """The parent killed with SIGKILL (no cleanup at all): its helper does not go on alone."""
    script = ("import sys; sys.path.insert(0, sys.argv[1]); from deck.processes.child import Child; "
              "c = Child('tests.child_targets:parent_pid'); c.channel.recv(); print(c.pid, flush=True); "
              "import time; time.sleep(60)")
    parent = subprocess.Popen([sys.executable, "-c", script, str(ROOT)], stdout=subprocess.PIPE, text=True)
    try:
        helper = int(parent.stdout.readline())
        os.kill(parent.pid, 9)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(helper):
            time.sleep(0.05)
        assert not _alive(helper)
    finally:
        parent.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
