"""The print documents -> PDF with WeasyPrint, reusing the slides that did not change.

The slides a build must render are laid out together, up to BATCH in one document, and each slide's
pages (all its steps) are cut from it into that slide's PDF (`render_together`); a single edited slide
is laid out alone. Each slide's PDF is kept in the cache, under a key
covering its print HTML (its rules inside), the theme's fonts, WeasyPrint's version, this module and
the fonts installed: a prose edit re-renders one slide. The theme's fonts (most of the CSS by size)
are decoded once per process for every slide (`_Styles`).
`assemble.py` joins the slides into the deck's PDF.

While cells still run, finished slides are rendered by a helper process (`slide_pdfs.SlidePdfs.prefetch`), so
a cold build costs about the longer of execution and rendering, not their sum; whatever is left at
the end is shared between that process and this one.

WeasyPrint may fetch only data: URIs (everything is inlined before): a stray URL in a document
must never pull a file from the machine or the network into a PDF sent to students.
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import glob
import logging
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..execute.cache import sha
from .page_fit import Overflow, find_overflows

# WeasyPrint warns about the CSS it does not know (font-synthesis, SVG's properties in inline figures):
# it is deck's own CSS, made for Chromium too, nothing a lecturer could fix. Without this, its
# warnings reach the terminal as soon as a library configures the root logger (ziafont does).
logging.getLogger("weasyprint").propagate = False
logging.getLogger("weasyprint").addHandler(logging.NullHandler())

# Tagged (PDF/UA-1: a structure tree, the language, the title shown): searchable and readable aloud.
RENDER_OPTIONS = {"pdf_variant": "pdf/ua-1"}
# Below this many slides to render at the end of a build, a helper process would cost more to start
# (Python, WeasyPrint, the fonts: about 1 s of CPU) than it saves; it is started only when a core is
# free for it, too (slide_pdfs.helper_pays; the measurements: bench/RESULTS.md).
HELPER_MIN_SLIDES = 12
# This process, not yet warm (WeasyPrint imported, the CSS parsed: about 0.7 s), takes slides from
# the helper's queue only when more than this many wait: fewer are done sooner by the helper alone.
JOIN_HELPER_ABOVE = 4
# At most this many slides are laid out as one document (`render_together`): most of what a
# document of many saves (its rules parsed and cascaded once, 35-40 % of a lone slide's CPU time,
# measured on bench's 200-slide deck) is had by 16, and a process taking work from the other's queue
# (the two meet in the middle) takes no more than one such batch at a time.
BATCH = 16


@dataclass
class SlideJob:
    """One slide to render: its print HTML (no CSS) and what its layout must give."""

    slide: int      # 1-based slide number
    html: str       # its print document, rules and step rules inside (documents.slide_print_html)
    pages: int      # pages it should fill: its steps, or 1 for a handout
    css: str        # digest of the fonts' CSS registered with `register_css`
    key: str = ""

    def __post_init__(self):
        if not self.key:
            self.key = sha(engine_key(), self.css, str(self.pages), self.html)


@dataclass
class SlidePdf:
    """A rendered slide: its PDF, its page count, and how it overflows its page (page_fit.py)."""

    slide: int
    pages: int
    overflows: list[Overflow]
    data: bytes


# --- importing WeasyPrint ---------------------------------------------------------------------------
# WeasyPrint opens its C libraries (pango, harfbuzz, fontconfig...) through cffi, trying several names
# for each (22 on Linux); cffi asks ctypes.util.find_library for every name, and each name that is not
# in ld.so's cache costs a run of ldconfig, gcc and ld: 0.2 s of CPU, a sixth of a prose edit's
# rebuild. While WeasyPrint is imported, names are looked up in one listing of that cache; a name
# it lacks goes to find_library only if a file of that name lies where ld.so would look.
def import_weasyprint():
    """The weasyprint package, imported with `_cached_find_library` standing in for find_library."""
    if "weasyprint" not in sys.modules and sys.platform.startswith("linux"):
        import ctypes.util

        original = ctypes.util.find_library
        listing = _ld_cache()
        if listing is not None:
            ctypes.util.find_library = functools.partial(_cached_find_library, listing, original)
        try:
            import weasyprint
        finally:
            ctypes.util.find_library = original
    import weasyprint

    return weasyprint


def _ld_cache() -> str | None:
    """`ldconfig -p` (the libraries ld.so finds by name), as ctypes reads it; None if it cannot run."""
    try:
        return subprocess.run(["/sbin/ldconfig", "-p"], stdin=subprocess.DEVNULL, capture_output=True,
                              env={"LC_ALL": "C", "LANG": "C"}, check=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


# the architecture's word in ldconfig's listing, as ctypes.util matches it (glibc's ld.so)
_ABI = {"x86_64": "libc6,x86-64", "ppc64": "libc6,64bit", "sparc64": "libc6,64bit", "s390x": "libc6,64bit",
        "ia64": "libc6,IA-64"}


def _cached_find_library(listing: str, original, name: str) -> str | None:
    """find_library(name) read from `listing`; the real one for a name the listing lacks when a
    `lib<name>.so*` file lies in a folder of the listing or of $LD_LIBRARY_PATH (a cache not yet
    updated): WeasyPrint must load the same libraries as without this."""
    abi = _ABI.get(os.uname().machine, "libc6") if sys.maxsize > 2**32 else "libc6"
    found = re.search(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({re.escape(abi)}", listing)
    if found:
        return found.group(1)
    folders = {os.path.dirname(path) for path in re.findall(r"=> (\S+)", listing)}
    folders.update(filter(None, os.environ.get("LD_LIBRARY_PATH", "").split(":")))
    if any(next(Path(folder).glob(f"lib{glob.escape(name)}.so*"), None) for folder in folders):
        return original(name)
    return None


def data_only_fetcher():
    """A WeasyPrint URL fetcher that serves data: URIs only (deck inlines everything it needs)."""
    import_weasyprint()
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"})


# fontTools stamps the fonts it subsets with the current time unless SOURCE_DATE_EPOCH is set;
# without one, a fixed date keeps two builds of the same sources byte-identical.
DEFAULT_EPOCH = "315532800"  # 1980-01-01, as reproducible-build tools use


@contextlib.contextmanager
def reproducible_time():
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = saved or DEFAULT_EPOCH
    try:
        yield
    finally:
        if saved is None:
            del os.environ["SOURCE_DATE_EPOCH"]


def layout(html: str):
    """Lay a whole print document (CSS inside) out into pages (WeasyPrint's Document)."""
    HTML = import_weasyprint().HTML

    with reproducible_time():  # fonts are converted (and timestamped) while laying out
        return HTML(string=html, base_url=None, url_fetcher=data_only_fetcher()).render()


def write_pdf(document) -> bytes:
    with reproducible_time():
        return document.write_pdf(**RENDER_OPTIONS)


# --- what a slide's PDF depends on besides its HTML ------------------------------------------------
# Where fontconfig finds the fonts that fill in glyphs the theme's fonts lack (and its settings):
# a font installed or removed there changes the mtime of its folder, and so every slide's key.
FONT_PLACES = ("/etc/fonts", "/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts", "~/.local/share/fonts")


@functools.lru_cache(maxsize=1)
def engine_key() -> str:
    """WeasyPrint and the libraries it draws with, this module's code and page_fit's (a cached slide
    keeps the overflows page_fit found in its layout: a change there must lay it out again, or a
    --check keeps reporting what the old code found), the system's fonts; read without importing
    WeasyPrint (a build whose slides are all cached never imports it)."""
    from importlib.metadata import PackageNotFoundError, version

    here = Path(__file__)
    parts: list[str | bytes] = [here.read_bytes(), here.with_name("page_fit.py").read_bytes()]
    for dist in ("weasyprint", "pydyf", "fonttools", "tinycss2", "cssselect2", "tinyhtml5"):
        try:
            parts.append(f"{dist}={version(dist)}")
        except PackageNotFoundError:
            parts.append(f"{dist}=none")
    for place in FONT_PLACES:
        for folder, dirs, _ in os.walk(os.path.expanduser(place)):
            dirs.sort()
            with contextlib.suppress(OSError):
                parts.append(f"{folder}:{os.stat(folder).st_mtime_ns}")
    return sha(*parts)


_CSS: dict[str, str] = {}  # digest -> the fonts' CSS text (one in practice)


def register_css(css: str) -> str:
    """Make the fonts' CSS known to this process's renderer; returns the digest that jobs name it by."""
    digest = sha(css)
    _CSS[digest] = css
    return digest


class _Styles:
    """The theme's fonts, decoded and registered once per process for every slide it renders (the
    rules are inside each slide's document: documents.slide_print_html)."""

    def __init__(self, css: str):
        CSS = import_weasyprint().CSS
        from weasyprint.text.fonts import FontConfiguration

        self.fonts = FontConfiguration()
        with reproducible_time():
            self.faces = CSS(string=css, font_config=self.fonts, url_fetcher=data_only_fetcher())

    def release(self) -> None:
        """Remove the theme's font files WeasyPrint wrote to a temporary folder for them (in the
        process that made them: a forked one has disowned them, see `_disown_inherited_fonts`)."""
        folder, self.fonts._folder = self.fonts._folder, None  # WeasyPrint has no public API for it
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


_STYLES: dict[str, _Styles] = {}  # digest of the fonts' CSS -> its styles, the last two used


def _styles(digest: str) -> _Styles:
    if digest not in _STYLES:
        while len(_STYLES) >= 2:
            _STYLES.pop(next(iter(_STYLES))).release()
        _STYLES[digest] = _Styles(_CSS[digest])
    return _STYLES[digest]


def warm_up() -> None:
    """Load the fonts this process used last and draw a page of text with them, so that the next
    slide to render does not wait for them (an idle --watch worker calls this between builds)."""
    if _CSS and next(reversed(_CSS)) not in _STYLES:
        digest = next(reversed(_CSS))
        render_slide(SlideJob(1, '<html><body class="print"><section class="slide page"><p>deck <em>deck</em> '
                                 '<strong>deck</strong> <code>deck</code></p></section></body></html>', 1, digest))


def release_styles() -> None:
    """Forget the parsed styles and remove their font files: at the end of a command, whose build
    process ends with os._exit (the supervisor's child, a pool's worker), which skips WeasyPrint's
    own clean-up; a long-lived process (--watch) keeps them warm instead."""
    while _STYLES:
        _STYLES.popitem()[1].release()


atexit.register(release_styles)


def _disown_inherited_fonts() -> None:
    """In a forked process (a deck's build forked from a test worker or from a long-lived process):
    the styles inherited from the parent are used as they are, but their font files stay the
    parent's. Removed here (by `release_styles` at the end of the build, or WeasyPrint's own
    clean-up of a FontConfiguration), they were taken from the parent, whose faces not yet opened
    (Pango opens one when text first uses it: italic, code) then came out of WeasyPrint as empty
    font programs: the next deck's italic and code had no glyph."""
    for styles in _STYLES.values():
        styles.fonts._folder = None


os.register_at_fork(after_in_child=_disown_inherited_fonts)


def render_slide(job: SlideJob) -> SlidePdf:
    """Lay one slide out and draw it (with the fonts the job names)."""
    HTML = import_weasyprint().HTML

    styles = _styles(job.css)
    with reproducible_time():
        document = HTML(string=job.html, base_url=None, url_fetcher=data_only_fetcher()).render(
            stylesheets=[styles.faces], font_config=styles.fonts)
        data = document.write_pdf(**RENDER_OPTIONS)
    return SlidePdf(job.slide, len(document.pages), find_overflows(document, {job.slide: job.pages}), data)


# --- many slides in one layout ----------------------------------------------------------------------
# Laying slides out together pays the cascade and the parsing of the print rules once for all of them
# (most of a lone slide's time); each slide's pages are then cut from the document
# (`Document.copy`) and written as that slide's PDF, the bytes a lone layout gives (fonts are
# gathered while a document is drawn, so a copy embeds only its own glyphs).
_STEP_RULE = '[data-show="'  # how the lines of step rules start (steps.step_css)


def _head_and_body(html: str) -> tuple[str, str]:
    """A slide's print document cut before its first page, and its pages (documents.slide_print_html)."""
    head, _, rest = html.partition("<section ")
    body, _, _ = rest.rpartition("</body>")
    return head, "<section " + body


def _layout_group(html: str) -> str:
    """What must be the same for slides to share a document: their head without the step rules."""
    return "\n".join(line for line in _head_and_body(html)[0].splitlines() if not line.startswith(_STEP_RULE))


def _together(jobs: list[SlideJob]) -> str:
    """One document of `jobs` (of one layout group): the head with the most step rules, which are
    those of the others and more (rules for step k of slides of more steps than a slide has match
    none of its pages), then every slide's pages."""
    heads = [_head_and_body(job.html)[0] for job in jobs]
    head = max(heads, key=lambda h: h.count(_STEP_RULE))
    return head + "".join(_head_and_body(job.html)[1] for job in jobs) + "</body>\n</html>\n"


def _pages_by_slide(document) -> dict[int, list]:
    """The pages of each slide of a document of many, by their anchors (`page-<slide>-<step>`), as
    page_fit.find_overflows counts them: a page that overflowed belongs to the slide before it."""
    pages: dict[int, list] = {}
    current = 0
    for page in document.pages:
        ids = [a for a in page.anchors if a.startswith("page-")]
        if ids:
            current = int(ids[0].split("-")[1])
        pages.setdefault(current, []).append(page)
    return pages


def batches(jobs: list[SlideJob], size: int = BATCH) -> list[list[SlideJob]]:
    """`jobs` in documents to lay out together: of one layout group, each slide once, at most `size`."""
    groups: dict[str, list[list[SlideJob]]] = {}
    for job in jobs:
        runs = groups.setdefault(_layout_group(job.html), [[]])
        if len(runs[-1]) >= size or any(j.slide == job.slide for j in runs[-1]):
            runs.append([])
        runs[-1].append(job)
    return [run for runs in groups.values() for run in runs if run]


def render_together(jobs: list[SlideJob]) -> list[SlidePdf]:
    """Lay the slides of `jobs` out as one document and cut each one's PDF from it (the same PDF as
    `render_slide` gives it). Jobs must be of one layout group and name each slide once."""
    HTML = import_weasyprint().HTML

    if len(jobs) == 1:
        return [render_slide(jobs[0])]
    styles = _styles(jobs[0].css)
    out = []
    with reproducible_time():
        document = HTML(string=_together(jobs), base_url=None, url_fetcher=data_only_fetcher()).render(
            stylesheets=[styles.faces], font_config=styles.fonts)
        pages = _pages_by_slide(document)
        for job in jobs:
            part = document.copy(pages.get(job.slide, []))
            out.append(SlidePdf(job.slide, len(part.pages), find_overflows(part, {job.slide: job.pages}),
                                part.write_pdf(**RENDER_OPTIONS)))
    return out
