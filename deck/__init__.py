"""deck: lecture slides whose numbers are computed, never typed.

The stages, one sub-package each: `source` (front matter, Jinja, slides) -> `execute` (cells, cache,
supervision, the cell API) -> `claims` (verifying written values, exercises, --fix, reports) ->
`render` (HTML, print document, PDF, page fit); `pipeline` ties them; `watch` is the live preview,
`cli` the command line; `shared` holds what several stages (and figures/) need.
"""
from .errors import CellError, ClaimError, DeckError, LayoutProblem, Location, SourceError

__all__ = ["DeckError", "SourceError", "CellError", "ClaimError", "LayoutProblem", "Location"]
__version__ = "0.1.0"
