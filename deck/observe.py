"""What an observer of a build hears, in one interface: execution, progress and publication.

The executor calls the execution methods (as nbclient's hooks), the pipeline the progress ones, the
publication of outputs `on_publish`. The progress display, the supervisor's breadcrumbs, the --watch
worker and the pipelined PDF are observers; every method is optional (these do nothing).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any


class BuildObserver:
    # --- execution: `item` is a Cell or an InlineExpr -------------------------------------------
    def on_start(self, item: Any, time_limit: float | None) -> None:
        """An item starts running (a cell, or an inline expression), with its time limit."""

    def on_stop(self, item: Any) -> None:
        """The item's code stopped running, whatever the outcome."""

    def on_end(self, item: Any) -> None:
        """An item's result is ready: it ran, or its result came from the cache."""

    def on_error(self, item: Any, error: Exception) -> None:
        """An item failed (the error is also collected or raised)."""

    # --- progress ---------------------------------------------------------------------------
    def on_progress(self, event: str, **info: Any) -> None:
        """A stage of a deck's build: deck(name, cells), cell(index, total), render(), pdf(pages),
        done(report)."""

    # --- publication ------------------------------------------------------------------------
    def on_publish(self, stage: str, journal: Path) -> None:
        """Outputs are being renamed into place ("publishing", with their journal), or are ("published")."""
