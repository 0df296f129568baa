"""Handlers used by the outbox tests. Their effect is a row in a scratch table, so the tests can
count how often an effect really happened (and that a rolled-back one left nothing)."""

import time

from django.db import connection

TABLE = "test_outbox_effects"


def create_table() -> None:
    with connection.cursor() as cur:
        cur.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (event_id bigint NOT NULL, handler text NOT NULL)")
        cur.execute(f"TRUNCATE {TABLE}")


def drop_table() -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")


def effects(event_id: int | None = None) -> int:
    with connection.cursor() as cur:
        if event_id is None:
            cur.execute(f"SELECT count(*) FROM {TABLE}")
        else:
            cur.execute(f"SELECT count(*) FROM {TABLE} WHERE event_id = %s", [event_id])
        return cur.fetchone()[0]


def _record(event, name: str) -> None:
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {TABLE} (event_id, handler) VALUES (%s, %s)", [event.pk, name])


def record(event) -> None:
    _record(event, "record")


def record_slowly(event) -> None:
    _record(event, "slow")
    time.sleep(0.5)  # keep the transaction open so a concurrent delivery overlaps it


def always_fail(event) -> None:
    _record(event, "fail")
    raise RuntimeError("the downstream system said no")
