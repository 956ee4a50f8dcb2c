"""The process test builds are forked from (helpers_for_tests.run_build): a fresh interpreter that has
imported what a build imports (torch, torchvision, matplotlib, deck) and done nothing else.

Forking a build from the test worker itself saved the same imports, but the worker has laid out PDFs
and driven Chromium by then: native threads (GLib's, Pango's) hold locks that a forked child never
sees released, and its first PDF waited forever. This process starts no thread and draws nothing,
so a fork of it is as clean as `python build.py` after its imports.

Protocol (deck.processes.child channel): the test sends (root, args, environ, out path, err path);
this process forks the build, sends ("started", pid), and ("ended", waitpid status) when it ends.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys


def serve(channel) -> None:
    import matplotlib
    import torch  # noqa: F401
    import torchvision  # noqa: F401

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401

    import deck.cli  # noqa: F401
    import deck.pipeline  # noqa: F401
    import deck.processes.supervisor  # noqa: F401

    while True:
        try:
            request = channel.recv()
        except EOFError:
            return
        pid = os.fork()
        if pid == 0:
            _run(*request)
        channel.send(("started", pid))
        _, status = os.waitpid(pid, 0)
        channel.send(("ended", status))


def _run(root: str, args: list[str], environ: dict, out: str, err: str) -> None:
    """The forked child: become `python build.py ARGS` run in `root`; never returns."""
    code = 2
    try:
        os.setpgid(0, 0)  # its own group, as a command started from a shell: killed whole on timeout
        os.chdir(root)
        os.environ.clear()
        os.environ.update(environ)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, out), (2, err)):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
        sys.stdout = open(1, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the command's own, not the Child's
        from deck.cli import main
        from deck.processes.supervisor import supervised

        sys.argv = [args[0], *args[1:]]
        code = supervised(main)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - said on the build's stderr, which the test reads
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
