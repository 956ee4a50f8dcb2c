"""What the tests share: the checkout's root, the build command, parse+execute a source, render it."""
from __future__ import annotations

import contextlib
import faulthandler
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


def run_build(project, *args, env=None, timeout=120, fresh=False) -> subprocess.CompletedProcess:
    """`python build.py ARGS` in the project's folder, as a lecturer runs it: the same command line,
    supervisor, messages and exit codes. It is forked from this test process, which has torch and
    the rest imported already (a fresh interpreter pays ~3 s of imports per build), unless `fresh`
    (what the test is about is the interpreter's start: imports, the re-exec, the hash seed) or this
    process's hash seed is not the command's fixed 0 (a set a cell prints would differ)."""
    if fresh or sys.flags.hash_randomization:
        return subprocess.run(BUILD + list(args), cwd=project.root, capture_output=True, text=True,
                              timeout=timeout, env={**os.environ, **(env or {})})
    return _forked_build(project.root, list(args), env or {}, timeout)


def _forked_build(root: Path, args: list[str], env: dict, timeout: float) -> subprocess.CompletedProcess:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:  # the child: become `python build.py ARGS` run in `root`, and never return
            code = 2
            try:
                os.setpgid(0, 0)  # its own group, as a command started from a shell: killed whole on timeout
                _become_a_fresh_command(root, env, out, err)
                from deck.cli import main
                from deck.processes.supervisor import supervised

                sys.argv = [BUILD[1], *args]
                code = supervised(main)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:  # noqa: BLE001 - said on the child's stderr, which the test reads
                import traceback

                traceback.print_exc()
            finally:
                for stream in (sys.stdout, sys.stderr):
                    with contextlib.suppress(Exception):
                        stream.flush()
                os._exit(code)
        status = _wait(pid, timeout, args)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(BUILD + args, os.waitstatus_to_exitcode(status),
                                           out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


def _become_a_fresh_command(root: Path, env: dict, out, err) -> None:
    """What a new interpreter would have that this forked test process lacks: its own working folder,
    environment, standard streams (files, not pytest's capture) and deck's state of a process that
    has built nothing yet (the in-memory caches, the signing key it would read)."""
    os.chdir(root)
    os.environ.update(env)
    null = os.open(os.devnull, os.O_RDONLY)
    for fd, target in ((0, null), (1, out.fileno()), (2, err.fileno())):
        os.dup2(target, fd)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own stdin, for its life
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
    faulthandler.disable()  # pytest's, writing to its own capture: a dying build says it on its stderr
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL)
    import deck.settings
    import deck.shared.store
    from deck.watch.worker import clear_caches

    deck.settings._taken_key = None
    deck.shared.store._key = None
    deck.shared.store._rejected.clear()
    clear_caches()


def _wait(pid: int, timeout: float, args: list[str]) -> int:
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise subprocess.TimeoutExpired(BUILD + args, timeout)
        time.sleep(0.02)


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
