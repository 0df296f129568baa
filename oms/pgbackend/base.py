"""Django's PostgreSQL backend with a health check that costs no round trip.

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` on the first query of every request
that reuses a persistent connection: a round trip and a statement per API call. A connection
the server has closed (a restart, ``pg_terminate_backend``, an idle timeout) has something
waiting on its socket, the server's last message and the end of the stream, so we look first:
nothing to read means the server has not hung up and the connection is used as it is. Anything
to read (that, or a notice) falls back to Django's ``SELECT 1``, which tells the two apart.
A server that vanished without a word (a cut cable) is not seen by either check until the
query times out (``connect_timeout``, ``statement_timeout`` in settings).

``close_if_health_check_failed`` is Django's, not documented: the one place we override it.
tests/oms/test_pgbackend.py holds it to Django's documented ``CONN_HEALTH_CHECKS`` behaviour
(checked once per request before the connection is reused, a dead one replaced without failing
the request) and fails when a Django release stops calling it that way. Without it, Django's own
check sends ``SELECT 1`` on every request that reuses a connection (the cost is in
docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if self.connection is not None and self.health_check_enabled and not self.health_check_done:
            if _nothing_to_read(self.connection):
                self.health_check_done = True
                return
        super().close_if_health_check_failed()


def _nothing_to_read(raw) -> bool:
    try:
        readable, _, _ = select.select([raw.fileno()], [], [], 0)
    except (OSError, ValueError):  # closed already
        return False
    return not readable
