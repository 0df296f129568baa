"""A fixed-window request counter per key (a source address), in Django's cache.

With the default local-memory cache each web process counts on its own (a flood is still cut
to ``limit`` x processes per window); configure a shared cache (Redis) to count across them.
A cache that fails lets the request through: throttling must never take the endpoint down.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)


def hit(scope: str, key: str, *, limit: int, window: int) -> int | None:
    """Count one request; None when it is within ``limit`` per ``window`` seconds, otherwise
    the seconds until the window ends (for ``Retry-After``)."""
    now = int(time.time())
    start = now - now % window
    name = f"ratelimit:{scope}:{key}:{start}"
    try:
        if cache.add(name, 1, timeout=window + 1):
            return None
        count = cache.incr(name)
    except Exception as exc:  # a cache outage is not a reason to refuse the provider
        logger.warning("rate limit %s: cache unavailable: %s", scope, exc)
        return None
    return None if count <= limit else max(start + window - now, 1)
