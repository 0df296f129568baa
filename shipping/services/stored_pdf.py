"""PDFs a worker renders and stores on their row, so that a page's link serves a file instead of
rendering while someone waits: the pick list and the trip manifest.

Such a row has a ``pdf`` file, a ``pdf_stamp`` and a ``number``. The stamp is a digest of
everything the printed document shows (``selectors.fulfilment.pick_list_pdf_stamp``,
``trip_manifest_stamp``). A render stores the file together with the stamp it was made from;
the link serves the file only while the row's stamp as it is now still matches, so a pick list
or trip changed after its render (a line or stop removed, an address corrected) is never printed
stale: the link queues a new render and shows a page that waits for it.

With tasks inline (the quick start, the tests) nothing is queued: the link renders in the
request as before.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from oms.tasks_registry import enqueue


def pdf_by_worker() -> bool:
    """True when a worker renders the stored PDFs; False when tasks run inline (the quick start,
    the tests), where the link renders in the request."""
    from celery import current_app

    return not current_app.conf.task_always_eager


def pdf_queue(task: str, **ids: int) -> bool:
    """Queue the render task ``task`` with ``ids``; never raises (False: not queued, the caller
    renders in the request). Does not wait for a broker that is away: a person is waiting."""
    return enqueue(task, kwargs=ids, retry=False)


def pdf_queue_on_commit(task: str, **ids: int) -> None:
    """When a worker renders: queue ``task`` once the current transaction commits (the row it
    renders is then visible to the worker)."""
    if pdf_by_worker():
        transaction.on_commit(partial(pdf_queue, task, **ids))


def pdf_store(row, *, stamp: str, render: Callable[[], bytes]) -> bool:
    """Store ``render()`` as ``row``'s PDF with ``stamp``, unless the stored file already has that
    stamp. True when this call stored a PDF; False when the stored one still agrees, or a
    concurrent run replaced it first (the loser deletes its own file). Takes no lock while
    rendering: the store is a conditional UPDATE on the file name it read. Call it outside any
    transaction (a worker)."""
    old = row.pdf.name or ""
    if old and row.pdf_stamp == stamp and default_storage.exists(old):
        return False
    name = default_storage.save(row.pdf.field.generate_filename(row, f"{row.number}.pdf"), ContentFile(render()))
    if not type(row).objects.filter(pk=row.pk, pdf=old).update(pdf=name, pdf_stamp=stamp):
        default_storage.delete(name)
        return False
    if old and old != name:
        default_storage.delete(old)
    return True


def pdf_open(row, stamp: str):
    """The stored file, open, when it was rendered from what the row shows now (``stamp``); else
    None."""
    if not row.pdf or row.pdf_stamp != stamp:
        return None
    try:
        return default_storage.open(row.pdf.name, "rb")
    except FileNotFoundError:  # replaced by a newer render meanwhile, or another host's storage
        return None
