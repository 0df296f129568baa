"""The link of a PDF a worker renders and stores (``shipping.services.stored_pdf``): the pick
list's and the trip manifest's. One view serves the file, the page that waits for it and that
page's status polls; the page's words for each kind of document are in its template."""

from __future__ import annotations

from collections.abc import Callable

from django.http import FileResponse, HttpResponse
from django.shortcuts import render as render_page

from oms.htmx import is_partial
from oms.numbers import plain_int
from shipping.services import stored_pdf

# Polls of the waiting page (one a second) before it offers to print in the request (no worker
# took the task).
POLLS_BEFORE_FALLBACK = 20
TEMPLATE = "shipping/pdf_preparing.html"
KINDS = {"pick-list": "pick", "manifest": "trips"}  # the kinds of document, with their menu tab


def stored_pdf_response(
    request, kind: str, row, stamp: str, render: Callable[[], bytes], queue: Callable[[], bool]
) -> HttpResponse:
    """``row``'s stored PDF (``row.pdf``) when its stamp still matches ``stamp`` (what the row
    shows now), at once. Otherwise, with a worker, the render is queued (``queue()``) and a page
    polls until the file is there (its htmx polls get the status fragment); with tasks inline (or
    the broker away, or ``?now=1`` after a long wait) ``render()`` runs in the request. The
    request only reads, so no transaction is open while it renders."""
    stored = stored_pdf.pdf_open(row, stamp)
    context = {"kind": kind, "row": row, "url": request.path, "max_polls": POLLS_BEFORE_FALLBACK}
    if is_partial(request):
        polls = (plain_int(request.GET.get("poll", "")) or 0) + 1
        if stored is not None:
            stored.close()
        context.update(ready=stored is not None, polls=polls, fallback=polls >= POLLS_BEFORE_FALLBACK)
        return render_page(request, f"{TEMPLATE}#pdf-status", context)
    if stored is not None:
        return FileResponse(stored, content_type="application/pdf", filename=f"{row.number}.pdf")
    if request.GET.get("now") or not stored_pdf.pdf_by_worker() or not queue():
        response = HttpResponse(render(), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{row.number}.pdf"'
        return response
    context.update(ready=False, polls=0, fallback=False, active=KINDS[kind])
    return render_page(request, TEMPLATE, context)
