"""Publishing a build's outputs safely against other builds: output names that collide are refused
before anything is written; a build holds a lock on its output folder while it publishes (a second
build waits, and says so); a build never publishes over outputs a build started after it wrote.

The lock and the record of who published what live in a per-user folder beside the outputs' path
(`$XDG_RUNTIME_DIR/deck`, else the temporary folder's `deck-<uid>`), not in the output folder: a
published folder holds the decks only. Builds into different folders never wait on each other.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from ..errors import DeckError
from .files import display_path, publish, write_atomic

_started: list[int] = [0]  # when the running build read its sources (time.time_ns)


def begin_build(paths: list[Path], options, index: str) -> None:
    """A build of the decks `paths` starts (what it publishes is as new as this moment's sources): output
    names that collide are refused (pipeline.BuildOptions: its versions, folder, course or not)."""
    _started[0] = time.time_ns()
    if options.check:  # nothing is written; --fix may write the sources as they are read now
        _read.clear()
        _read.update(_source_digests(Path(options.project_root), Path(options.output_dir)))
        return
    outputs = [(display_path(p), [options.output_dir / f"{p.stem}{v.suffix}{ext}" for v in options.variants()
                                  for ext, wanted in ((".html", v.html), (".pdf", v.pdf)) if wanted])
               for p in paths]
    if options.course:
        outputs.append(("the course index", [options.output_dir / index]))
    check_names(outputs)


_read: dict[Path, str] = {}
REFUSED = re.compile(r"(\d+) cache entr(?:y was|ies were) not signed with this cache's key")
SOURCE_SUFFIXES = (".md", ".markdown", ".j2", ".jinja", ".html", ".txt", ".yml", ".yaml")


def _source_digests(root: Path, output_dir: Path) -> dict[Path, str]:
    """The digest of every text source in the project (hidden folders and outputs aside)."""
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and Path(folder, d) != output_dir)
        for name in files:
            if name.endswith(SOURCE_SUFFIXES):
                path = Path(folder, name).resolve()
                try:
                    found[path] = hashlib.sha256(path.read_bytes()).hexdigest()
                except OSError:
                    continue
    return found


def sources_read() -> dict[Path, str] | None:
    """Each text source's digest when the last check began (None: no check ran in this process)."""
    return dict(_read) if _read else None


def check_names(sources: Iterable[tuple[str, Iterable[Path]]]) -> None:
    """Refuse, before anything is written, two sources that would write the same output file (a deck
    `index.md` and the course index; `x.md`'s student version and a deck `x-student.md`); `sources`
    are (what writes, as a message names it; the files it writes)."""
    writer: dict[str, str] = {}
    for source, outputs in sources:
        for output in outputs:
            other = writer.setdefault(os.path.normcase(os.path.abspath(output)), source)
            if other != source:
                raise DeckError(f"{other} and {source} would both write {display_path(output)}: "
                                "rename one of them; nothing was written")


def _state_folder() -> Path:
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(runtime) / "deck" if runtime and os.path.isdir(runtime) else \
        Path(tempfile.gettempdir()) / f"deck-{os.getuid()}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _names(output_dir: Path) -> tuple[Path, Path]:
    digest = hashlib.sha256(str(Path(output_dir).resolve()).encode("utf-8")).hexdigest()[:24]
    folder = _state_folder()
    return folder / f"publish-{digest}.lock", folder / f"publish-{digest}.json"


@contextlib.contextmanager
def folder_lock(output_dir: Path, say: Callable[[str], None] | None = None):
    """Hold the output folder's publication lock (waiting, and saying so, while another build has it)."""
    lock, _ = _names(output_dir)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            (say or _stderr)(f"waiting for another build publishing to {display_path(output_dir)}")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def publish_newest(files: dict[Path, bytes], announce=None, say: Callable[[str], None] | None = None) -> None:
    """`files.publish` under the output folder's lock, refusing (DeckError) to replace an output that a
    build started after this one has published: its sources are newer than the ones read here."""
    if not files:
        return
    output_dir = next(iter(files)).parent
    _, record = _names(output_dir)
    with folder_lock(output_dir, say):
        try:
            published = json.loads(record.read_text(encoding="utf-8"))
            if not isinstance(published, dict):
                published = {}
        except (OSError, ValueError):
            published = {}
        started = _started[0] or time.time_ns()  # a build that did not say when it began: now
        newer = [path for path in files if isinstance(published.get(str(path)), int)
                 and published[str(path)] > started]
        if newer:
            raise DeckError(f"not published: {display_path(newer[0])} was written by a build started after "
                            f"this one (from newer sources); previous outputs are unchanged")
        publish(files, announce)
        published.update({str(path): started for path in files})
        write_atomic(record, json.dumps(published, sort_keys=True))


def note_rejections(report, verbose: bool):
    """Cache entries this build refused (unsigned, or signed with another key): said once in the
    report's warnings, and each one in the -v log."""
    from .store import rejection_note, rejections

    refused = rejections()
    note = rejection_note(refused)
    if note:
        report.warnings.append(note)
    if verbose:
        report.cache_log.extend(f"{display_path(path)}: {why}; recomputed" for path, why in refused)
    return report


def one_rejection_note(reports: list) -> None:
    """The build says once, in its last deck's report, how many entries it refused (each deck's
    process counted its own)."""
    from .store import rejection_note

    total = 0
    for r in reports:
        counts = [m.group(1) for m in map(REFUSED.match, r.warnings) if m is not None]
        total += sum(int(c) for c in counts)
        r.warnings = [w for w in r.warnings if not REFUSED.match(w)]
    if total and reports:
        reports[-1].warnings.append(rejection_note([("", "")] * total))
