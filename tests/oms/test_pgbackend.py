"""The persistent connection's health check (oms.pgbackend): free while the server is there,
and a connection the server closed is replaced before a request uses it.

``oms.pgbackend`` overrides Django's undocumented ``close_if_health_check_failed``; these tests are
its contract with Django's documented ``CONN_HEALTH_CHECKS`` behaviour ("existing persistent
database connections will be health checked before they are reused in each request performing
database access ... the connection will be reestablished without failing the request"): checked
once per request, at its first database access, and a dead connection replaced. Each fails when a
Django release stops calling the override or calls it at another moment."""

import time

import psycopg2
import pytest
from django.db import connection, connections

from oms.pgbackend import base as pgbackend
from oms.pgbackend.base import _nothing_to_read


def _start_of_request():
    connection.close_if_unusable_or_obsolete()  # what request_started does


def _admin():
    settings = connection.settings_dict
    admin = psycopg2.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"] or 5432
    )
    admin.autocommit = True
    return admin


def _until_readable(timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _nothing_to_read(connection.connection):
        time.sleep(0.02)


def test_the_settings_ask_for_djangos_health_checks():
    # without them neither Django's check nor ours runs, and the tests below would pass for nothing
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True and connection.settings_dict["CONN_MAX_AGE"]


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
    admin = _admin()
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    admin.close()
    _until_readable()  # the server's goodbye reaches the socket
    _start_of_request()
    with connection.cursor() as cursor:  # no error: a new connection
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != old_pid


@pytest.mark.django_db(transaction=True)
def test_the_check_runs_once_per_request_at_its_first_database_access(monkeypatch):
    connection.ensure_connection()
    looks = []
    monkeypatch.setattr(pgbackend, "_nothing_to_read", lambda raw: looks.append(raw) or True)
    for request in range(2):
        _start_of_request()
        assert len(looks) == request  # the start of a request only asks for a check
        before = len(looks)
        for n in range(3):
            with connection.cursor() as cursor:
                cursor.execute("SELECT %s", [n])
        assert len(looks) == before + 1
    assert len(looks) == 2


@pytest.mark.django_db(transaction=True)
def test_something_else_on_the_socket_falls_back_to_djangos_select_1_and_keeps_the_connection(monkeypatch):
    with connection.cursor() as cursor:
        cursor.execute("LISTEN oms_pgbackend_test")
    raw = connection.connection
    admin = _admin()
    with admin.cursor() as cursor:
        cursor.execute("NOTIFY oms_pgbackend_test")  # a message nobody has read yet: the socket is readable
    admin.close()
    _until_readable()
    asked = []
    wrapper = type(connections["default"])
    real = wrapper.is_usable
    monkeypatch.setattr(wrapper, "is_usable", lambda self: asked.append(1) or real(self))
    _start_of_request()
    with connection.cursor() as cursor:
        cursor.execute("UNLISTEN *")
    assert asked == [1] and connection.connection is raw
