"""The print document -> PDF with WeasyPrint.

WeasyPrint may fetch only data: URIs (everything is inlined before): a stray URL in a document
must never pull a file from the machine or the network into a PDF sent to students.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field

from .page_fit import Overflow, find_overflows


@dataclass
class PdfResult:
    pages: int
    overflows: list[Overflow] = field(default_factory=list)


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
    """Lay the print document out into pages (WeasyPrint's Document)."""
    from weasyprint import HTML

    with reproducible_time():  # fonts are converted (and timestamped) while laying out
        return HTML(string=html, base_url=None, url_fetcher=data_only_fetcher()).render()


def check_layout(html: str, expected_pages: dict[int, int]) -> PdfResult:
    document = layout(html)
    return PdfResult(len(document.pages), find_overflows(document, expected_pages))


def render_pdf(html: str, expected_pages: dict[int, int]) -> tuple[bytes, PdfResult]:
    """The PDF of the print document, and what its layout showed (pages, slides that overflow)."""
    document = layout(html)
    result = PdfResult(len(document.pages), find_overflows(document, expected_pages))
    with reproducible_time():
        data = document.write_pdf()
    return data, result
