"""The persistent connection's health check (oms.pgbackend): free while the server is there,
and a connection the server closed is replaced before a request uses it."""

import time

import psycopg2
import pytest
from django.db import connection, connections

from oms.pgbackend.base import _nothing_to_read


def _start_of_request():
    connection.close_if_unusable_or_obsolete()  # what request_started does


@pytest.mark.django_db(transaction=True)  # between requests: no transaction open
def test_a_healthy_connection_is_checked_without_a_statement(monkeypatch):
    connection.ensure_connection()
    raw = connection.connection
    assert type(connections["default"]).__module__ == "oms.pgbackend.base"
    sent = []
    monkeypatch.setattr(type(connections["default"]), "is_usable", lambda self: sent.append("SELECT 1") or True)
    _start_of_request()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 2")
    assert sent == [] and connection.connection is raw


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_closed_is_replaced_before_it_is_used():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        old_pid = cursor.fetchone()[0]
    settings = connection.settings_dict
    admin = psycopg2.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"] or 5432
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    admin.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the server's goodbye reaches the socket
        time.sleep(0.02)
        if not _nothing_to_read(connection.connection):
            break
    _start_of_request()
    with connection.cursor() as cursor:  # no error: a new connection
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != old_pid
