"""Who changed what. django-pghistory records row changes with database triggers (so it also
sees ``QuerySet.update()``), and its middleware attaches the acting user and URL as context.

Models opt in with ``@audit.track()``; ``history_for(obj)`` reads a record's changes newest first.
Services that run outside a request (workers, commands) label their changes with ``context``.
"""

from __future__ import annotations

import pghistory
from pghistory.models import Events


def track(*trackers, **kwargs):
    """Decorator for a model: record inserts and updates in an event table (by trigger)."""
    return pghistory.track(*(trackers or (pghistory.InsertEvent(), pghistory.UpdateEvent())), **kwargs)


def context(**values):
    """Attach values (``user``, ``task``, ``command``) to every change made inside the block."""
    return pghistory.context(**values)


def history_for(obj, limit: int = 50) -> list:
    """Changes to one record, newest first, with the context (user, url) they were made in."""
    return list(Events.objects.references(obj).order_by("-pgh_created_at")[:limit])
