"""Rendering a gate pack: the template to HTML, the HTML to PDF with WeasyPrint.

Nothing is fetched from the network while rendering. The pack's HTML is
self-contained (its CSS is inline, KPI charts are inline SVG, fonts come from
the machine through fontconfig: DejaVu), and the URL fetcher refuses every
URL except ``data:`` URLs and files under this app's own static folder.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

STATIC_DIR = (Path(__file__).resolve().parent / "static" / "reporting").resolve()
PACK_TEMPLATE = "reporting/pack.html"


class PackRenderError(Exception):
    """The pack cannot be rendered from this data: retrying will not help."""


class LocalOnlyURLFetcher(URLFetcher):
    """Refuses anything that is not a ``data:`` URL or one of our static files."""

    def __init__(self) -> None:
        # It never opens an HTTPS connection (``fetch`` refuses it), so its
        # context loads no certificates: WeasyPrint's default one reads the
        # machine's CA store, about 90 ms of every pack.
        super().__init__(ssl_context=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))

    def fetch(self, url: str, headers: Any = None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file:"):
            path = Path(url.split("?")[0].removeprefix("file://")).resolve()
            if path.is_relative_to(STATIC_DIR) and path.is_file():
                return super().fetch(url, headers)
        raise ValueError(f"Refused to fetch {url!r}: gate packs use local resources only")


def content_hash(data: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the data a pack renders.

    The PDF's own SHA-256 cannot be printed inside the PDF, so the footer
    carries this instead: the same facts always give the same hash, whenever
    and however often the pack is generated."""
    # default=str: labels read from choices are lazy translations; they are
    # hashed as the text the pack prints (the pack's language is active).
    canonical = json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def render_pack_html(context: dict[str, Any]) -> str:
    return render_to_string(PACK_TEMPLATE, context)


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    page_count: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


# WeasyPrint allocates millions of short-lived objects while it lays out a
# pack; at Python's default threshold (2,000) the cycle collector runs
# thousands of times per pack. Measured on the benchmark pack (22 pages):
# 1.30 s → 1.10 s per render, peak memory 150 → 210 MB.
RENDER_GC_THRESHOLD = 50_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    old = gc.get_threshold()
    gc.set_threshold(max(RENDER_GC_THRESHOLD, old[0]), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def html_to_pdf(html: str) -> RenderedPdf:
    """Lay out and write the PDF. Rendering once gives the page count for free."""
    with fewer_collections():
        document = HTML(
            string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=LocalOnlyURLFetcher()
        ).render(font_config=FontConfiguration())
        buffer = io.BytesIO()
        document.write_pdf(buffer)
    return RenderedPdf(content=buffer.getvalue(), page_count=len(document.pages))
