"""The print documents -> PDF with WeasyPrint, reusing the slides that did not change.

The slides a build must render are laid out together, up to BATCH in one document, and each slide's
pages (all its steps) are cut from it into that slide's PDF (`render_together`); a single edited slide
is laid out alone. Each slide's PDF is kept in the cache, under a key
covering its print HTML (its rules inside), the theme's fonts, WeasyPrint's version, this module and
the fonts installed: a prose edit re-renders one slide. The theme's fonts (most of the CSS by size)
are decoded once per process for every slide (`_Styles`).
`assemble.py` joins the slides into the deck's PDF.

While cells still run, finished slides are rendered by a helper process (`SlidePdfs.prefetch`), so
a cold build costs about the longer of execution and rendering, not their sum; whatever is left at
the end is shared between that process and this one.

WeasyPrint may fetch only data: URIs (everything is inlined before): a stray URL in a document
must never pull a file from the machine or the network into a PDF sent to students.
"""
from __future__ import annotations

import atexit
import contextlib
import dataclasses
import functools
import html
import io
import logging
import os
import pickle
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Set as AbstractSet
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
# (Python, WeasyPrint, the fonts: about 1 s of the other core) than it saves.
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


def data_only_fetcher():
    """A WeasyPrint URL fetcher that serves data: URIs only (deck inlines everything it needs)."""
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
    from weasyprint import HTML

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
    """WeasyPrint and the libraries it draws with, this module's code, the system's fonts; read
    without importing WeasyPrint (a build whose slides are all cached never imports it)."""
    from importlib.metadata import PackageNotFoundError, version

    parts: list[str | bytes] = [Path(__file__).read_bytes()]
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
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.fonts = FontConfiguration()
        with reproducible_time():
            self.faces = CSS(string=css, font_config=self.fonts, url_fetcher=data_only_fetcher())

    def release(self) -> None:
        """Remove the theme's font files WeasyPrint wrote to a temporary folder for them."""
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


def render_slide(job: SlideJob) -> SlidePdf:
    """Lay one slide out and draw it (with the fonts the job names)."""
    from weasyprint import HTML

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
    from weasyprint import HTML

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


# --- the cache of rendered slides ------------------------------------------------------------------
class SlideCache:
    """Rendered slides: the "slides" namespace of the cache store (shared/store.py, signed entries),
    `<key>.pdf` and `<key>.json` beside it (pages, overflows, the PDF's size and digest). A PDF read
    back is cleaned of actions and scripts (assemble-time trust: `clean_pdf`) before it is used."""

    FORMAT = 3

    def __init__(self, root: Path):
        from ..shared.store import Store

        self.root = root / "slides"
        self.store = Store(root)

    def load(self, job: SlideJob) -> SlidePdf | None:
        meta = self.store.get_json("slides", f"{job.key}.json")
        data = self.store.get("slides", f"{job.key}.pdf")
        if data is None or not isinstance(meta, dict) or meta.get("format") != self.FORMAT \
                or meta.get("key") != job.key or meta.get("size") != len(data) or meta.get("sha") != sha(data):
            return None  # corrupt, foreign or half-replaced: render again
        try:
            overflows = [Overflow(job.slide, **fields) for fields in meta["overflows"]]
            pages = meta["pages"]
            if not isinstance(pages, int) or isinstance(pages, bool) or pages < 1:
                return None
            data = clean_pdf(data, pages, links_of(job.html))
        except (TypeError, ValueError, KeyError):
            return None
        return SlidePdf(job.slide, pages, overflows, data)

    def store_result(self, job: SlideJob, result: SlidePdf) -> None:
        meta = {"format": self.FORMAT, "key": job.key, "pages": result.pages, "size": len(result.data),
                "sha": sha(result.data),
                # every field of an overflow: a warm check names the cell and line a cold one does
                "overflows": [{k: v for k, v in dataclasses.asdict(o).items() if k != "slide"} for o in result.overflows]}
        # the PDF first: an entry is read only when its .json names a PDF of the right size and digest
        if self.store.put("slides", f"{job.key}.pdf", result.data):
            self.store.put_json("slides", f"{job.key}.json", meta)


HREF = re.compile(r'\bhref="([^"#][^"]*)"')


def links_of(html_text: str) -> set[str]:
    """The addresses a slide's print HTML links to: the only URI links its PDF may hold."""
    return {html.unescape(m.group(1)) for m in HREF.finditer(html_text)}


def clean_pdf(data: bytes, pages: int, links: AbstractSet[str] = frozenset()) -> bytes:
    """A slide's PDF as deck makes it, whatever the cache held: no document or page actions, no
    JavaScript, no annotations but links inside the deck (WeasyPrint makes only those: deck refuses
    other links), exactly `pages` pages. ValueError if it is not a PDF."""
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) != pages:
                raise ValueError("page count differs from its entry")
            changed = _strip_actions(pdf, links)
            if not changed:
                return data
            out = io.BytesIO()
            pdf.save(out, deterministic_id=True)
            return out.getvalue()
    except pikepdf.PdfError as exc:
        raise ValueError(str(exc)) from None


def _strip_actions(pdf, links) -> bool:
    """Remove what could run or reach outside; True if anything was removed."""
    import pikepdf

    changed = False
    for name in ("/OpenAction", "/AA", "/AcroForm"):
        if name in pdf.Root:
            del pdf.Root[name]
            changed = True
    names = pdf.Root.get("/Names")
    for name in ("/JavaScript", "/EmbeddedFiles"):
        if names is not None and name in names:
            del names[name]
            changed = True
    for page in pdf.pages:
        if "/AA" in page.obj:
            del page.obj["/AA"]
            changed = True
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        kept = pikepdf.Array([a for a in annots if _deck_link(a, links)])
        if len(kept) != len(annots):
            page.obj["/Annots"] = kept
            changed = True
    return changed


def _deck_link(annot, links) -> bool:
    """A link annotation the deck made: to a place in the document (`/Dest`, a GoTo action), or a URI
    its slide links to; nothing else (no JavaScript, Launch, forms, other annotations)."""
    import pikepdf

    if not isinstance(annot, pikepdf.Dictionary) or annot.get("/Subtype") != pikepdf.Name.Link:
        return False
    if "/AA" in annot:
        return False
    action = annot.get("/A")
    if action is None:
        return "/Dest" in annot
    if not isinstance(action, pikepdf.Dictionary) or "/Next" in action:
        return False
    if action.get("/S") == pikepdf.Name.URI:
        return str(action.get("/URI", "")) in links
    return action.get("/S") == pikepdf.Name.GoTo


# --- the helper process --------------------------------------------------------------------------
def _send(stream, message) -> None:
    blob = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(blob)) + blob)
    stream.flush()


def _receive(stream):
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError
    blob = stream.read(struct.unpack("<Q", head)[0])
    return pickle.loads(blob)


def _helper_main() -> None:
    """The helper process: renders the jobs it is sent, one at a time, until its input closes. It
    stops quietly when the build goes away or a slide fails: the build then renders what it had not
    got back itself (and reports a failure with its own traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build decides when to stop
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints (from C libraries too) go to stderr, never into the results pipe
    source = sys.stdin.buffer
    try:
        css, root, secret = _receive(source)
        if secret is not None:  # the build's key: this process has no $DECK_CACHE_KEY left to read
            from ..shared.store import use_key

            use_key(secret)
        cache = SlideCache(Path(root)) if root else None
        _styles(register_css(css))  # WeasyPrint imported and the fonts loaded while the cells run
        while True:
            jobs = _receive(source)  # slides of one layout group, laid out together
            results = render_together(jobs)
            if cache is not None:  # kept even if the build stops before it collects these slides
                for job, result in zip(jobs, results):
                    cache.store_result(job, result)
            _send(out, results)
    except (EOFError, OSError):
        return
    except Exception:
        release_styles()
        os._exit(1)


class _Helper:
    """A second process rendering slides for this one: jobs go in a queue; a thread here sends what
    waits at its front (up to a batch, laid out together) and collects the results, so the queue
    moves while this process runs cells. This process takes batches from the back of the queue
    meanwhile (`take_back`); if the helper dies, this process renders what it had not finished."""

    def __init__(self, css: str, cache: SlideCache | None):
        package_parent = str(Path(__file__).resolve().parents[2])
        code = f"import sys; sys.path.insert(0, {package_parent!r}); from deck.render.pdf import _helper_main; _helper_main()"
        self.process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        _send(self.process.stdin, (css, str(cache.root.parent) if cache is not None else None,
                                   cache.store.secret if cache is not None else None))
        self.queue: deque[SlideJob] = deque()
        self.results: dict[str, SlidePdf] = {}
        self.dead = False
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._serve, name="deck-pdf-helper", daemon=True)
        self.thread.start()

    def submit(self, job: SlideJob) -> None:
        with self.changed:
            self.queue.append(job)
            self.changed.notify_all()

    def take_back(self, leave: int = 0) -> list[SlideJob]:
        """Jobs from the back of the queue (a batch, half of what waits at most), for this process to
        render, if more than `leave` wait (none: the helper keeps the rest)."""
        with self.changed:
            if len(self.queue) <= leave:
                return []
            count = min(BATCH, max(1, len(self.queue) // 2))
            return [self.queue.pop() for _ in range(count)][::-1]

    def result(self, job: SlideJob) -> SlidePdf | None:
        """The helper's render of a job it took (None if it died first)."""
        with self.changed:
            self.changed.wait_for(lambda: job.key in self.results or self.dead)
            return self.results.get(job.key)

    def _serve(self) -> None:
        try:
            while True:
                with self.changed:
                    self.changed.wait_for(lambda: self.queue or self.dead)
                    if self.dead:
                        return
                    front = [self.queue.popleft() for _ in range(min(BATCH, len(self.queue)))]
                    # the first batch of them (one layout group); the others go back to the front
                    jobs = batches(front)[0]
                    taken = {id(j) for j in jobs}
                    self.queue.extendleft(reversed([j for j in front if id(j) not in taken]))
                _send(self.process.stdin, jobs)
                results = _receive(self.process.stdout)
                with self.changed:
                    self.results.update({job.key: result for job, result in zip(jobs, results)})
                    self.changed.notify_all()
        except (EOFError, OSError, pickle.UnpicklingError):
            pass
        with self.changed:  # the helper died or was stopped: what it had not finished comes back
            self.dead = True
            self.changed.notify_all()

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None  # both opened as pipes
        with self.changed:
            self.dead = True
            self.queue.clear()
            self.changed.notify_all()
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:  # a build that stopped early: its slide is not worth waiting for
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        self.thread.join(timeout=5)


class SlidePdfs:
    """The PDFs of one deck's slides: from the cache, rendered here, or by a helper process."""

    def __init__(self, css: str, cache: SlideCache | None = None):
        self.css_text, self.css = css, register_css(css)
        self.cache = cache
        self.helper: _Helper | None = None
        self.sent: dict[str, SlideJob] = {}  # key -> job given to the helper
        self.found: dict[str, SlidePdf | None] = {}  # key -> what the cache holds
        self.rendered: list[int] = []  # slides the last `results` had to render (not in the cache)

    def job(self, slide: int, html: str, pages: int) -> SlideJob:
        return SlideJob(slide, html, pages, self.css)

    def _cached(self, job: SlideJob) -> SlidePdf | None:
        if job.key not in self.found and self.cache is not None:
            self.found[job.key] = self.cache.load(job)
        return self.found.get(job.key)

    def _give(self, job: SlideJob) -> None:
        if self.helper is None:
            self.helper = _Helper(self.css_text, self.cache)
        if job.key not in self.sent:
            self.sent[job.key] = job
            self.helper.submit(job)

    def prefetch(self, jobs: list[SlideJob]) -> None:
        """Slides whose cells have all run, while later cells still run: the helper renders those
        the cache lacks (it is started for the first one)."""
        for job in jobs:
            if job.key not in self.sent and self._cached(job) is None:
                self._give(job)

    def results(self, jobs: list[SlideJob]) -> list[SlidePdf]:
        """Every slide's PDF, in order: cached, prefetched, or rendered now (here, and by the helper
        for long decks: it takes them from the front, this process from the back)."""
        done: dict[int, SlidePdf] = {}
        missing = []
        for i, job in enumerate(jobs):
            found = self._cached(job) if job.key not in self.sent else None
            if found is not None:
                done[i] = found
            else:
                missing.append(i)
        self.rendered = [jobs[i].slide for i in missing]
        fresh = [i for i in missing if jobs[i].key not in self.sent]
        if self.helper is None and len(fresh) < HELPER_MIN_SLIDES:
            mine = self._render_here([jobs[i] for i in missing])
        else:
            for i in fresh:
                self._give(jobs[i])
            mine = {}
            assert self.helper is not None  # started by `_give`: `fresh` has HELPER_MIN_SLIDES slides, or it ran before
            while batch := self.helper.take_back(0 if self.css in _STYLES else JOIN_HELPER_ABOVE):
                mine.update(self._render_here(batch))
        for i in missing:
            key = jobs[i].key
            done[i] = mine.get(key) or (self.helper and self.helper.result(self.sent[key])) \
                or self._render_here([jobs[i]])[key]
        return [done[i] for i in range(len(jobs))]

    def _render_here(self, jobs: list[SlideJob]) -> dict[str, SlidePdf]:
        """The slides of `jobs` laid out here, many in one document (one alone: a single edit)."""
        out = {}
        for batch in batches(jobs):
            for job, result in zip(batch, render_together(batch)):
                if self.cache is not None:
                    self.cache.store_result(job, result)
                out[job.key] = result
        return out

    def close(self) -> None:
        """Stop the helper (slides it has not started are dropped; those it finished are cached)."""
        if self.helper is not None:
            self.helper.close()
            self.helper = None
