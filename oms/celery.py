"""The Celery app. Settings live in Django settings under the ``CELERY_`` prefix.

Like ``oms.wsgi``, a worker started without ``DJANGO_SETTINGS_MODULE`` runs with the production
settings; ``make worker``/``make beat`` and ``bin/run`` ask for the development ones. (This
module is imported with the ``oms`` package, so its default is also the one ``oms.wsgi`` gets.)"""

import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

from celery import Celery, Task
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings.production")


class OmsTask(Task):
    """Every task of the project: a countdown or ETA is capped at ``OMS_TASK_MAX_COUNTDOWN``.

    A Redis worker holds a message with a countdown unacknowledged until it runs; one held longer
    than the broker's visibility timeout is delivered a second time, again and again. The
    visibility timeout is kept short so that a killed worker's task comes back within minutes
    (settings ``OMS_BROKER_VISIBILITY_TIMEOUT``), so a retry's back-off is capped to fit; longer
    waits belong to the database and a sweep (carrier hand-off, invoice delivery, payment fetch)."""

    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, link=None, link_error=None, **options):
        from django.conf import settings

        cap = settings.OMS_TASK_MAX_COUNTDOWN
        if options.get("countdown") is not None and options["countdown"] > cap:
            options["countdown"] = cap
        eta = options.get("eta")
        if isinstance(eta, datetime):
            latest = datetime.now(eta.tzinfo) + timedelta(seconds=cap)
            if eta > latest:
                options["eta"] = latest
        return super().apply_async(args, kwargs, task_id, producer, link, link_error, **options)


app = Celery("oms", task_cls=OmsTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


logger = logging.getLogger(__name__)

FOLDER_OPTIONS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


@app.on_after_configure.connect
def _make_broker_folders(sender, **kwargs) -> None:
    """The file-system broker (no ``REDIS_URL``) writes into folders that kombu does not create."""
    if not (sender.conf.broker_url or "").startswith("filesystem:"):
        return
    options = sender.conf.broker_transport_options or {}
    for key in FOLDER_OPTIONS:
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@worker_init.connect
def _yield_to_requests(sender=None, **kwargs) -> None:
    """Run the worker below the web processes' CPU priority (``settings.OMS_WORKER_NICE``, a
    nice increment; 0 leaves it as started). On a host that serves both, a worker rendering
    invoice PDFs after every counter sale otherwise takes the cores the next request needs; its
    own work only waits a little longer. In the main process, before the pool starts: the
    prefork children inherit it."""
    import django

    django.setup()
    from django.conf import settings

    increment = getattr(settings, "OMS_WORKER_NICE", 0)
    if increment > 0:
        try:
            os.nice(increment)
        except OSError:  # not allowed here: run as started
            logger.warning("could not lower the worker's CPU priority by %s", increment)


@worker_init.connect
def _warm_up_pdf(sender=None, **kwargs) -> None:
    """Load the PDF engine and its fonts when a worker starts, so its first invoice, pick list
    or packing slip does not pay for it (``settings.OMS_PDF_WARM_UP``). In the worker's main
    process, before the pool starts: prefork children inherit what it loaded, and a child's own
    start (``worker_process_init``) has a few seconds before the pool gives up on it."""
    import django

    django.setup()
    from django.conf import settings

    if not getattr(settings, "OMS_PDF_WARM_UP", True):
        return
    from oms.pdf import warm_up

    try:
        warm_up()
    except Exception:  # a worker that cannot render PDFs still does all its other work
        logger.exception("PDF engine warm-up failed")
