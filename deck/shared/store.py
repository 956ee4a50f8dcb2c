"""The one cache store: every entry deck keeps between builds (cell results and namespace snapshots,
slide PDFs, math SVG, figures) is written and read here, in one format, with one validity check.

An entry is a file `<cache>/<namespace>/<name[:2]>/<name>`, named by a key computed from everything
its content depends on (content-addressed: `key(...)`), holding one header line and the payload:

    deck-cache 1 <HMAC-SHA256 of namespace, name and payload, hex>\\n<payload>

The signature is why a cache folder can be shared (restored from a CI cache, `DECK_CACHE_DIR` on a
shared disk): an entry is trusted only if a holder of the key wrote it, and the key lives outside the
cache folder: `$DECK_CACHE_KEY` (read once, then removed from the environment cells see), else a
per-user file made on first use with mode 0600, `$XDG_CONFIG_HOME/deck/cache.key`
(`~/.config/deck/cache.key`). The signature covers the entry's name too: an entry copied under
another key is as unsigned as a planted one. An unsigned or wrongly signed entry is a miss, never
code run or content inserted: it is recomputed and overwritten, and `rejections()` says which were
refused and why (the build's -v log and its summary).

Reading an entry marks it used (its access time is set to now); when the store grows past its cap
(`$DECK_CACHE_SIZE` in MB, default 2048), the entries used least recently are removed first.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
import threading
import time
from pathlib import Path

from .. import settings
from ..settings import KEY_ENV
from .files import write_atomic

MAGIC = b"deck-cache 1 "
SIZE_ENV = "DECK_CACHE_SIZE"
DEFAULT_SIZE_MB = 2048
KEY_BYTES = 32

_lock = threading.Lock()
_key: bytes | None = None
_rejected: list[tuple[str, str]] = []  # (entry path, why) refused by this process since last taken


def key(*parts: str | bytes) -> str:
    """The one key scheme: SHA-256 of the parts, each ended by a NUL (so `ab`,`c` differs from `a`,`bc`)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "deck" / "cache.key"


def signing_key() -> bytes:
    """The key entries are signed with: the build's settings give it (`$DECK_CACHE_KEY`, read once
    at the edge), else the per-user key file, read once per process."""
    given = settings.current().cache_key
    if given:
        return given
    global _key
    with _lock:
        if _key is None:
            _key = _key_from_file(key_file())
        return _key


def use_key(value: bytes) -> None:
    """Sign with this key from now on (a helper process is given its parent's: it has no environment
    variable left to read)."""
    global _key
    with _lock:
        _key = value


def _key_from_file(path: Path) -> bytes:
    """The per-user key, made on first use (0600, created exclusively: two first builds at once agree)."""
    try:
        data = path.read_bytes().strip()
        if data:
            return data
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    made = secrets.token_hex(KEY_BYTES).encode("ascii")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another build made it meanwhile
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(made)
    return made


def _signature(secret: bytes, namespace: str, name: str, payload: bytes) -> bytes:
    mac = hmac.new(secret, digestmod=hashlib.sha256)
    mac.update(f"{namespace}\0{name}\0".encode())
    mac.update(payload)
    return mac.hexdigest().encode("ascii")


def rejections() -> list[tuple[str, str]]:
    """Entries refused since the last call (and forgets them): (path, why)."""
    with _lock:
        taken = list(_rejected)
        _rejected.clear()
    return taken


def rejection_note(refused: list[tuple[str, str]]) -> str | None:
    """What a build says once when it refused entries."""
    if not refused:
        return None
    n = len(refused)
    return (f"{n} cache entr{'ies were' if n != 1 else 'y was'} not signed with this cache's key and "
            f"{'were' if n != 1 else 'was'} recomputed (a cache from elsewhere? share the key as "
            f"{KEY_ENV}; -v lists them)")


class Store:
    """The cache folder `root`; `namespace`s are its kinds of entries ("items", "slides", "math"...)."""

    def __init__(self, root: Path, secret: bytes | None = None):
        self.root = Path(root)
        self.secret = secret if secret is not None else signing_key()

    def path(self, namespace: str, name: str) -> Path:
        return self.root / namespace / name[:2] / name

    def get(self, namespace: str, name: str) -> bytes | None:
        """The payload of a valid entry, or None: missing, damaged, unsigned or signed with another key."""
        path = self.path(namespace, name)
        if not self._folders_are_real(path):
            return None
        data = read_regular(path)
        if data is None:
            return None
        head, sep, payload = data.partition(b"\n")
        if not sep or not head.startswith(MAGIC):
            self._refuse(path, "not a signed entry")
            return None
        if not hmac.compare_digest(head[len(MAGIC):], _signature(self.secret, namespace, name, payload)):
            self._refuse(path, "signed with another key, or altered")
            return None
        _mark_used(path)
        return payload

    def put(self, namespace: str, name: str, payload: bytes) -> bool:
        """Write an entry (atomically; False if it could not be: a cache only saves time)."""
        data = MAGIC + _signature(self.secret, namespace, name, payload) + b"\n" + payload
        path = self.path(namespace, name)
        if not self._folders_are_real(path):
            return False
        done = write_atomic(path, data, best_effort=True)
        if done:
            _Pruner.wrote(self.root, len(data))
        return done

    def get_json(self, namespace: str, name: str):
        payload = self.get(namespace, name)
        if payload is None:
            return None
        try:
            return json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    def put_json(self, namespace: str, name: str, value) -> bool:
        return self.put(namespace, name, json.dumps(value, ensure_ascii=False).encode("utf-8"))

    def _folders_are_real(self, path: Path) -> bool:
        """Whether the folders between the cache's root and `path` are folders, not symlinks: in a
        shared cache, a folder replaced by a link (`decks/t. -> ~/notes`) would send this user's
        entries (named after their decks) into any folder they can write. Missing ones are made."""
        for folder in reversed(path.relative_to(self.root).parents[:-1]):
            try:
                mode = (self.root / folder).lstat().st_mode
            except FileNotFoundError:
                return True  # made by the write, as folders
            except OSError:
                return False
            if not stat.S_ISDIR(mode):
                self._refuse(self.root / folder, "a symlink or a file where the cache has a folder")
                return False
        return True

    def _refuse(self, path: Path, why: str) -> None:
        with _lock:
            _rejected.append((str(path), why))


def read_regular(path: Path) -> bytes | None:
    """The bytes of a regular file, or None (missing, unreadable, or a FIFO, a device: opened without
    blocking and never read, so a FIFO planted in the cache cannot hang a build)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(os.dup(fd), "rb") as fh:
            return fh.read()
    except OSError:
        return None
    finally:
        os.close(fd)


def _mark_used(path: Path) -> None:
    """Its access time set to now, its modification time kept (the last entries pruning removes)."""
    try:
        os.utime(path, ns=(time.time_ns(), os.stat(path).st_mtime_ns))
    except OSError:
        pass


def size_cap() -> int:
    """The store's cap in bytes (`$DECK_CACHE_SIZE` MB)."""
    try:
        mb = float(os.environ.get(SIZE_ENV, "") or DEFAULT_SIZE_MB)
    except ValueError:
        mb = DEFAULT_SIZE_MB
    return max(0, int(mb * 1024 * 1024))


class _Pruner:
    """Pruning walks the whole folder: done when this process has written a sixteenth of the cap since
    the last walk (and on the first write of a process), not on every entry."""

    since: dict[Path, int] = {}

    @classmethod
    def wrote(cls, root: Path, size: int) -> None:
        cap = size_cap()
        written = cls.since.get(root)
        total = (written or 0) + size
        if written is None or total >= cap // 16:
            cls.since[root] = 0
            prune(root, cap)
        else:
            cls.since[root] = total


def prune(root: Path, cap: int) -> list[Path]:
    """Remove the least recently used entries until the store holds at most `cap` bytes; the removed."""
    entries = []
    for path in Path(root).rglob("*"):
        try:
            st = path.lstat()
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and not path.name.startswith("."):  # not another build's temporary
            entries.append((max(st.st_atime_ns, st.st_mtime_ns), st.st_size, path))
    total = sum(size for _, size, _ in entries)
    removed = []
    for _, size, path in sorted(entries, key=lambda e: (e[0], str(e[2]))):
        if total <= cap:
            break
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        removed.append(path)
    return removed
