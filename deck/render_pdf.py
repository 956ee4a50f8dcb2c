"""Stage 5: the print document -> PDF with WeasyPrint, written atomically.

WeasyPrint may fetch only data: URIs (everything is inlined before): a stray URL in a document
must never pull a file from the machine or the network into a PDF sent to students.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PdfResult:
    pages: int
    overflow: list[tuple[int, int]]  # (slide index, number of extra pages) of slides too tall


def data_only_fetcher():
    """A WeasyPrint URL fetcher that serves data: URIs only (deck inlines everything it needs)."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"})


def layout(html: str):
    """Lay the print document out into pages (WeasyPrint's Document)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=None, url_fetcher=data_only_fetcher()).render()


def overflowing_slides(document, expected_pages: int) -> list[tuple[int, int]]:
    """Slides whose content spilled onto extra pages (each slide step must be exactly one page)."""
    counts: dict[int, int] = {}
    for page in document.pages:
        ids = [a for a in page.anchors if a.startswith("page-")]
        if ids:
            current = int(ids[0].split("-")[1])
        counts[current] = counts.get(current, 0) + 1
    return counts


def write_pdf(html: str, target: Path, expected_steps: dict[int, int]) -> PdfResult:
    """Render to `target` through a temporary file, so a failure never replaces a good PDF."""
    document = layout(html)
    counts = overflowing_slides(document, sum(expected_steps.values()))
    overflow = [(idx, n - expected_steps.get(idx, 1)) for idx, n in sorted(counts.items())
                if n > expected_steps.get(idx, 1)]
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        document.write_pdf(tmp)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return PdfResult(len(document.pages), overflow)
