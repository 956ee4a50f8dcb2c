"""Stage 1, the source: front matter, Jinja over the whole text (with a map back to source lines),
then slides, cells, inline expressions and steps. `parse_file(path, root) -> Deck`."""
from .slides import parse, parse_file

__all__ = ["parse", "parse_file"]
