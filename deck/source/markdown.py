"""The Markdown dialect of slides: CommonMark, tables, ~~strike~~, $math$ and ::: containers; raw HTML off.

Containers: `columns` / `column` (layout), `notes` (speaker notes), `incremental` (list items one by
one), `answer` (an exercise's answer: one step later, never in the student version)."""
from __future__ import annotations

import functools

CONTAINERS = ("columns", "column", "notes", "incremental", "answer")


@functools.lru_cache(maxsize=1)
def markdown():
    """The Markdown parser: CommonMark + tables, $math$, and ::: containers. Raw HTML is off."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.container import container_plugin
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable(["table", "strikethrough"])
    # Every link and image is parsed, whatever its URL: markdown-it would leave a `file:` or
    # `javascript:` one as raw text, silently; the renderer refuses them with a located error.
    md.validateLink = lambda url: True
    md.use(dollarmath_plugin, allow_space=True, double_inline=True)
    for name in CONTAINERS:
        md.use(container_plugin, name=name)
    return md
