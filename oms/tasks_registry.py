"""Queue a Celery task by its name, so that a service never imports its app's ``tasks`` module
(which imports the services back: an import circle inside the app).

A task is named ``"<app>.tasks.<function>"`` (the ``name=`` of its ``shared_task``); the module
is imported on first use, which registers the task. Queueing never raises: when the broker is
down the caller's periodic sweep queues the work later.
"""

from __future__ import annotations

import importlib
import logging

from celery import current_app

logger = logging.getLogger(__name__)


def task_named(name: str):
    """The registered task called ``name``; imports its module the first time."""
    if name not in current_app.tasks:
        importlib.import_module(name.rpartition(".")[0])
    return current_app.tasks[name]


def enqueue(
    name: str, args: tuple | list = (), kwargs: dict | None = None, *, countdown: float | None = None, retry=True
) -> bool:
    """Hand the task to the broker (run inline in eager mode). False when it could not be queued.
    ``retry``: wait for a broker that is briefly away (False where a caller must answer fast)."""
    try:
        task_named(name).apply_async(args=list(args), kwargs=kwargs or {}, countdown=countdown, retry=retry)
    except Exception as exc:  # broker down or frozen: the sweep queues it later
        logger.warning("could not queue %s%s: %s", name, args, exc)
        return False
    return True
