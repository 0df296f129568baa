"""PDF rendering with WeasyPrint, for workers (never inside a request's transaction).

Static files are read from disk through a URL fetcher, so rendering never fetches over HTTP.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string


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
