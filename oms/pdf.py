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


def _static_fetcher(url: str, *args, **kwargs) -> dict:
    from weasyprint import default_url_fetcher

    parsed = urlparse(url)
    if parsed.path.startswith(settings.STATIC_URL):
        path = finders.find(parsed.path[len(settings.STATIC_URL) :])
        if path:
            data = Path(path).read_bytes()
            return {"string": data, "mime_type": mimetypes.guess_type(path)[0] or "application/octet-stream"}
    if parsed.scheme in ("data", "file"):
        return default_url_fetcher(url, *args, **kwargs)
    raise ValueError(f"PDF rendering does not fetch {url}")


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url="http://oms.local/", url_fetcher=_static_fetcher).write_pdf()


def render_pdf(template_name: str, context: dict) -> bytes:
    return html_to_pdf(render_to_string(template_name, context))
