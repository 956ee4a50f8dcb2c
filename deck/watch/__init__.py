"""Live preview (`--watch`): a warm worker process builds, a local server serves build/ and reloads
the open page in place, a watch loop maps file changes to the decks they affect."""
from __future__ import annotations


def run_watch(options, port: int = 8000, host: str = "127.0.0.1") -> int:
    """Build, serve and rebuild until Ctrl-C; the exit status (0 after Ctrl-C, 2 if it cannot start)."""
    from .loop import Watcher

    return Watcher(options, port, host).run()
