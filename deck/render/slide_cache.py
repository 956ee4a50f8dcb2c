"""The cache of rendered slides: each slide's PDF kept in the store's "slides" namespace, and a PDF
read back cleaned of actions, scripts and foreign links before it enters a deck (a shared cache folder
could hold anything)."""
from __future__ import annotations

import dataclasses
import html
import io
import re
from collections.abc import Set as AbstractSet
from pathlib import Path

from ..execute.cache import sha
from .page_fit import Overflow
from .pdf import SlideJob, SlidePdf


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
