"""Files: atomic writes, paths as messages show them, the cache folder."""
from __future__ import annotations

import contextvars
import os
import secrets
from pathlib import Path

# The cache folder of the build running now (set by the pipeline), so code called from cells, such
# as figures.cached, stores its entries with the deck's and never relative to the working folder.
current_cache_root: contextvars.ContextVar[Path | None] = contextvars.ContextVar("deck_cache_root", default=None)


def cache_root(project_root: Path | None = None) -> Path:
    """`$DECK_CACHE_DIR`, else `<project>/.deck_cache` (the current build's project when not given)."""
    env = os.environ.get("DECK_CACHE_DIR")
    if env:
        return Path(env).resolve()
    if project_root is None:
        current = current_cache_root.get()
        if current is not None:
            return current
        project_root = Path.cwd()
    return Path(project_root).resolve() / ".deck_cache"


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


def publish(files: dict[Path, bytes]) -> None:
    """Write several files as one: every temporary file first, then every rename, so that an error
    (a full disk, a read-only folder) leaves the previous set of outputs whole, never a mix."""
    staged: list[tuple[Path, Path]] = []
    try:
        for target, data in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL with mode 0o666: a fresh name, and the permissions the umask gives any new file
            # (mkstemp would make it 0600, and a published deck unreadable to a web server).
            tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            staged.append((tmp, target))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        for tmp, target in staged:
            os.replace(tmp, target)
    finally:
        for tmp, _ in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass


# The folder messages are relative to: where the build started, whatever folder a cell moves to
display_base: contextvars.ContextVar[Path | None] = contextvars.ContextVar("deck_display_base", default=None)


def display_path(path: Path | str) -> str:
    """A path as messages show it: relative to the working folder when inside it (no absolute paths)."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to((display_base.get() or Path.cwd()).resolve()))
    except (ValueError, OSError):
        return str(path)
