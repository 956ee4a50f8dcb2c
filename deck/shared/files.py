"""Files: atomic writes, paths as messages show them, the cache folder."""
from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Callable

from .signals import uninterrupted


def cache_root(project_root: Path | None = None) -> Path:
    """The cache folder: `$DECK_CACHE_DIR`, else `<project>/.deck_cache`; without a project, the
    current build's (so that code called from cells, such as figures.cached, stores its entries with
    the deck's and never relative to a folder a cell moved to)."""
    from ..settings import current

    return current().cache_root(project_root)


def write_atomic(target: Path, data: bytes | str, *, best_effort: bool = False) -> bool:
    """Write through a temporary file in the same folder and rename: readers never see half a file.

    `best_effort`: an OSError is swallowed and False returned (caches: a lost entry only costs time).
    """
    try:
        publish({target: data.encode("utf-8") if isinstance(data, str) else data})
        return True
    except OSError:
        if best_effort:
            return False
        raise


def publish(files: dict[Path, bytes], announce: Callable[[str, Path], None] | None = None) -> None:
    """Write several files as one: every temporary file first, then every rename, so that an error
    (a full disk, a read-only folder) leaves the previous set of outputs whole, never a mix.

    The renames are not cut by a signal (held until the last one). For a set of files, a journal
    names the renames before the first one: if the process is killed in between all the same, its
    supervisor (told through `announce("publishing", journal)`) or the next build completes them
    (`complete_publications`). `announce("published", journal)` follows the last rename.
    """
    staged: list[tuple[Path, Path]] = []
    journal, lock = None, None
    try:
        for target, data in files.items():
            try:
                staged.append(_stage(target, data))
            except OSError as exc:  # named after the output, not its temporary file
                raise OSError(exc.errno, exc.strerror, str(target)) from None
        with uninterrupted():
            if len(staged) > 1:
                journal, lock = _write_journal(staged)
                if announce:
                    announce("publishing", journal)
            for tmp, target in staged:
                os.replace(tmp, target)
            if journal is not None:
                journal.unlink()
                if announce:
                    announce("published", journal)
    finally:
        if lock is not None:
            os.close(lock)
        for tmp, _ in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _stage(target: Path, data: bytes) -> tuple[Path, Path]:
    """`data` written to a temporary file beside `target`: (temporary, target)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_dir():  # a rename onto a folder would fail half-way through the set
        raise IsADirectoryError(errno.EISDIR, "a folder has this name", str(target))
    # O_EXCL with mode 0o666: a fresh name, and the permissions the umask gives any new file
    # (mkstemp would make it 0600, and a published deck unreadable to a web server).
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp, target


JOURNAL_PREFIX = ".deck-publish."


def _write_journal(staged: list[tuple[Path, Path]]) -> tuple[Path, int]:
    """The renames about to be made, in a file beside the first output, locked while they are made
    (the lock goes with the process: an unlocked journal is one its writer left half done)."""
    path = staged[0][1].with_name(f"{JOURNAL_PREFIX}{os.getpid()}.{secrets.token_hex(4)}.json")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, json.dumps([[str(tmp), str(target)] for tmp, target in staged]).encode("utf-8"))
    return path, fd


def complete_publication(journal: Path) -> list[Path]:
    """Finish the renames of a journal whose writer died (not one still being written); the
    outputs it completed."""
    try:
        fd = os.open(journal, os.O_RDONLY)
    except OSError:
        return []
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return []  # its writer is alive and renaming
        try:
            pairs = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pairs = []  # cut while being written: no rename had started
        done = []
        for tmp, target in pairs if isinstance(pairs, list) else []:
            try:
                os.replace(tmp, target)
                done.append(Path(target))
            except OSError:
                pass  # already renamed
        journal.unlink(missing_ok=True)
        return done
    finally:
        os.close(fd)


def complete_publications(folder: Path) -> list[Path]:
    """Complete every publication a killed build left half done in `folder`, and remove the temporary
    files of builds killed before their renames; the outputs completed."""
    try:
        journals = sorted(folder.glob(f"{JOURNAL_PREFIX}*.json"))
        temporaries = sorted(folder.glob(".*.tmp"))
    except OSError:
        return []
    done = [target for journal in journals for target in complete_publication(journal)]
    for tmp in temporaries:
        writer = STAGED.fullmatch(tmp.name)
        if writer and not _alive(int(writer.group(1))):
            tmp.unlink(missing_ok=True)
    return done


STAGED = re.compile(r"\..+\.(\d+)\.[0-9a-f]{8}\.tmp")  # the name _stage gives: .NAME.PID.TOKEN.tmp


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def display_path(path: Path | str) -> str:
    """A path as messages show it: relative to the folder the build started in when inside it (no
    absolute paths), whatever folder a cell moved to."""
    from ..settings import current

    path = Path(path)
    for candidate in (path.resolve, path.absolute):  # a link leading out is shown where it is
        try:
            return str(candidate().relative_to((current().display_base or Path.cwd()).resolve()))
        except (ValueError, OSError):
            pass
    return str(path)


class NotRegularFile(OSError):
    """A path that names a folder, a FIFO, a socket or a device: deck reads regular files only."""


MAX_INPUT_BYTES = 64 * 1024 * 1024  # a source, an include or an image larger than this is refused


def read_regular(path: Path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of `path`, a regular file of at most `limit` bytes: a FIFO is never waited on (opened
    without blocking, then its kind checked on the open descriptor, so a file swapped for a FIFO after
    a check is caught too), a device never read without end, a huge (or sparse) file never loaded.
    Raises NotRegularFile, or the OSError of the read."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        mode = info.st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else \
                "a socket" if stat.S_ISSOCK(mode) else "a device"
            raise NotRegularFile(errno.EINVAL, f"not a regular file but {kind}", str(path))
        if info.st_size > limit:
            raise NotRegularFile(errno.EFBIG, f"too large ({info.st_size:,} bytes; at most {limit:,})", str(path))
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)  # a file that grows while read is not read without end
        if len(data) > limit:
            raise NotRegularFile(errno.EFBIG, f"too large (more than {limit:,} bytes)", str(path))
        return data
    finally:
        os.close(fd)


class NotText(ValueError):
    """A file read as text that is not: its first offending byte, at `line`."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


def read_text(path: Path) -> str:
    """`read_regular`, decoded as UTF-8 (a byte order mark dropped). Raises NotText at the line of
    the first byte that is not UTF-8, or of a NUL byte (a binary file can be valid UTF-8)."""
    data = read_regular(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise NotText(f"not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} ({exc.reason})", line) from None
    nul = text.find("\0")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise NotText(f"a binary file, not text (a NUL byte on line {line})", line)
    return text
