"""PDF rendering with WeasyPrint, for workers (never inside a request's transaction).

Static files are read from disk through a URL fetcher, so rendering never fetches over HTTP.
"""

from __future__ import annotations

import logging
import mimetypes
import time
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# What the documents use (invoice, pick list, label, packing slip): the DejaVu faces, bold and
# monospace, page margin boxes with page counters, a table, the euro sign and a tick.
WARM_UP_HTML = """<!doctype html><html lang="nl"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 12mm; @bottom-center { content: counter(page) " / " counter(pages);
  font-family: "DejaVu Sans", sans-serif; font-size: 7pt; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9pt; }
.mono { font-family: "DejaVu Sans Mono", monospace; font-weight: bold; }
table { border-collapse: collapse; width: 100%; } td { border-bottom: 0.5px solid #999; }
</style></head><body><h1>OMS</h1><p>Factuur &euro; 1.234,50 <b>vet</b> <i>schuin</i> &#10003;</p>
<table><tr><td class="mono">SKU-1</td><td>1</td></tr></table></body></html>"""
state = {"warmed_up_seconds": None}


def _static_fetcher():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFileFetcher(URLFetcher):
        """Serve ``/static/...`` from the static finders and data: URLs; refuse everything else."""

        def fetch(self, url, headers=None):
            parsed = urlparse(url)
            if parsed.scheme == "data":
                return super().fetch(url, headers)
            if parsed.path.startswith(settings.STATIC_URL):
                path = finders.find(parsed.path[len(settings.STATIC_URL) :])
                if path:
                    mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, Path(path).read_bytes(), {"Content-Type": mime})
            raise ValueError(f"PDF rendering does not fetch {url}")

    return StaticFileFetcher(allowed_protocols=("http", "data"))


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url="http://oms.local/", url_fetcher=_static_fetcher()).write_pdf()


def render_pdf(template_name: str, context: dict) -> bytes:
    return html_to_pdf(render_to_string(template_name, context))


def warm_up() -> float:
    """Render a tiny document, so that WeasyPrint, its libraries (Pango, HarfBuzz, fontconfig)
    and the documents' fonts are loaded before the first real PDF: a worker calls this when it
    starts (``oms.celery``), never a web process on import. Returns the seconds it took."""
    started = time.perf_counter()
    html_to_pdf(WARM_UP_HTML)
    seconds = state["warmed_up_seconds"] = time.perf_counter() - started
    logger.info("PDF engine warmed up in %.2f s", seconds)
    return seconds
