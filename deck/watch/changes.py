"""Which decks a set of changed files affects, and how (rebuild, restart the worker, clear caches)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .server import DeckState

PACKAGE = Path(__file__).resolve().parents[1]  # deck/: its Python code, themes, runtime, templates


@dataclass
class RebuildPlan:
    decks: set[str] = field(default_factory=set)
    added: list[Path] = field(default_factory=list)    # new deck sources to start building
    removed: list[str] = field(default_factory=list)   # deck sources that were deleted
    restart: bool = False                              # Python code changed: a fresh worker
    clear_caches: bool = False                         # deck's own theme/runtime/template files changed


def plan_rebuild(changes: list[tuple[str, Path]], decks: dict[str, DeckState], source_dir: Path,
                 discover: bool, figures_dir: Path | None) -> RebuildPlan:
    """Which decks a set of changed paths ("added"/"modified"/"deleted", path) affects."""
    plan = RebuildPlan()
    everything = False
    for kind, path in changes:
        if path.name.startswith(".") or path.name.endswith("~") or path.name == "4913":
            continue  # editor temporaries and lock files
        by_source = next((d for d in decks.values() if d.source == path), None)
        if by_source is not None:
            if kind == "deleted" and discover and not path.exists():
                plan.removed.append(by_source.name)
            else:
                plan.decks.add(by_source.name)
        elif discover and path.parent == source_dir and path.suffix == ".md" and not path.name.startswith("_"):
            if path.exists():
                plan.added.append(path)
        elif is_under(path, PACKAGE) and path.suffix != ".py":
            plan.clear_caches = everything = True
        elif path.suffix == ".py" or (figures_dir is not None and is_under(path, figures_dir)):
            plan.restart = everything = True  # the worker imported the old code
        else:
            users = {d.name for d in decks.values() if path in d.files}
            plan.decks |= users
            # an unknown file in the sources may be an image or a new include; a deleted one, a temporary
            everything |= not users and kind != "deleted" and is_under(path, source_dir)
    if everything:
        plan.decks |= set(decks)
    plan.decks |= {d.name for d in decks.values() if d.error}  # any change may fix a broken deck
    plan.decks -= set(plan.removed)
    return plan


def is_under(path: Path, folder: Path) -> bool:
    try:
        return path.is_relative_to(folder)
    except ValueError:
        return False
