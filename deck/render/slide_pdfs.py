"""The slides' PDFs of one build (`SlidePdfs`): from the cache, or laid out by a helper process while
cells still run, and by this process for what is left at the end (see pdf.py for the layout)."""
from __future__ import annotations

import os
import pickle
import sys
import threading
from collections import deque
from pathlib import Path

from ..processes.child import Channel, Child
from .pdf import (
    _STYLES,
    BATCH,
    HELPER_MIN_SLIDES,
    JOIN_HELPER_ABOVE,
    SlideJob,
    SlidePdf,
    _styles,
    batches,
    register_css,
    release_styles,
    render_together,
)
from .slide_cache import SlideCache


# --- the helper process --------------------------------------------------------------------------
def _helper_main(channel: Channel) -> None:
    """The helper process (started by `deck.processes.child`): renders the jobs it is sent, one batch
    at a time, until its input closes. It stops quietly when the build goes away or a slide fails:
    the build then renders what it had not got back itself (and reports a failure with its own
    traceback)."""
    try:
        css, root, secret = channel.recv()
        if secret is not None:  # the build's key: this process has no $DECK_CACHE_KEY left to read
            from ..shared.store import use_key

            use_key(secret)
        cache = SlideCache(Path(root)) if root else None
        _styles(register_css(css))  # WeasyPrint imported and the fonts loaded while the cells run
        while True:
            jobs = channel.recv()  # slides of one layout group, laid out together
            results = render_together(jobs)
            if cache is not None:  # kept even if the build stops before it collects these slides
                for job, result in zip(jobs, results):
                    cache.store_result(job, result)
            channel.send(results)
    except (EOFError, OSError):  # the build has all it asked for (or is gone): this process ends at once,
        release_styles()  # without the interpreter's teardown of WeasyPrint (0.5 s the build waits for)
        sys.stderr.flush()
        os._exit(0)
    except Exception:
        release_styles()
        os._exit(1)


class _Helper:
    """A second process rendering slides for this one: jobs go in a queue; a thread here sends what
    waits at its front (up to a batch, laid out together) and collects the results, so the queue
    moves while this process runs cells. This process takes batches from the back of the queue
    meanwhile (`take_back`); if the helper dies, this process renders what it had not finished."""

    def __init__(self, css: str, cache: SlideCache | None):
        self.child = Child("deck.render.slide_pdfs:_helper_main")
        self.child.channel.send((css, str(cache.root.parent) if cache is not None else None,
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
                self.child.channel.send(jobs)
                results = self.child.channel.recv()
                with self.changed:
                    self.results.update({job.key: result for job, result in zip(jobs, results)})
                    self.changed.notify_all()
        except (EOFError, OSError, pickle.UnpicklingError):
            pass
        with self.changed:  # the helper died or was stopped: what it had not finished comes back
            self.dead = True
            self.changed.notify_all()

    def close(self) -> None:
        with self.changed:
            self.dead = True
            self.queue.clear()
            self.changed.notify_all()
        # a build that stopped early: the slide the helper is on is not worth waiting long for
        self.child.stop(grace=2.0)
        self.thread.join(timeout=5)


def helper_pays(slides: int) -> bool:
    """Whether a helper process should be started for `slides` slides left to lay out at the end of a
    build: enough of them, and a core free for it (measured in bench/RESULTS.md: on a machine whose
    cores are busy, the helper's start, about 1 s of CPU, made every deck of 4 to 32 slides and the
    flagship slower, by 5 to 80 %)."""
    if slides < HELPER_MIN_SLIDES:
        return False
    try:
        load = os.getloadavg()[0]  # runnable processes over the last minute, this one among them
    except OSError:  # no load average on this system: as if a core were free
        return True
    return load + 1 <= (os.cpu_count() or 1)


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
        if self.helper is None and not helper_pays(len(fresh)):
            mine = self._render_here([jobs[i] for i in missing])
        else:
            for i in fresh:
                self._give(jobs[i])
            mine = {}
            assert self.helper is not None  # started by `_give`: the helper pays for `fresh`, or it ran before
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
