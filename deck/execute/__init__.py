"""Stage 2, execution: the deck's cells and inline expressions run in one namespace, their results
written into the deck, claims verified. The cache is a layer around the executor (`cached.py`); the
supervisor (`deck/processes/supervisor.py`) watches from another process; `cell_api.py` is what cells call."""
from __future__ import annotations

from pathlib import Path

from ..claims.verify import Problems
from ..document import Deck
from ..observe import BuildObserver
from ..options import DEFAULT_TIMEOUT
from .runner import Executor


def execute(deck: Deck, *, timeout: float = DEFAULT_TIMEOUT, collect_errors: bool = False, cache=None,
            log=None, hooks: list[BuildObserver] | tuple = (), project_root: Path | None = None) -> Problems:
    """Run every item of `deck` (through `cache`, an execute.cache.Cache, when given). `project_root`:
    the project whose own modules cells may import (their content is part of the cache key)."""
    from .limits import interrupts_marked

    executor = Executor(deck, timeout=timeout, collect_errors=collect_errors, hooks=hooks,
                        project_root=project_root)
    with interrupts_marked():  # a cell's own KeyboardInterrupt is its error; a Ctrl-C stops the build
        if cache is None:
            return executor.run()
        from .cached import CachedExecution

        return CachedExecution(executor, cache, log).run()


__all__ = ["execute", "Executor", "Problems"]
