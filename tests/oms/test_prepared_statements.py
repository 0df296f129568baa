"""oms.sql.execute_prepared in both modes of ``OMS_PREPARED_STATEMENTS``: the same answers from
the same SQL, one query each, and with the setting off nothing prepared on the server (what
PgBouncer in transaction-pooling mode needs)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from oms.sql import deallocate_all, execute_prepared

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

# $1 twice, a cast, an array and a literal percent sign
SQL = "SELECT $1::int + $2::int, $1::int, cardinality($3::text[]), '100%'"


def prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def run(sql, params, name="oms_test_sum", **kwargs):
    with connection.cursor() as cursor:
        execute_prepared(cursor, name, sql, params, **kwargs)
        return cursor.fetchall()


@pytest.mark.parametrize("prepared", [True, False])
def test_both_modes_answer_the_same_in_one_query_each_time(prepared):
    deallocate_all()
    with override_settings(OMS_PREPARED_STATEMENTS=prepared), CaptureQueriesContext(connection) as queries:
        first = run(SQL, [2, 3, ["a", "b"]])
        second = run(SQL, [5, 1, []])
        constant = run("SELECT '50%'", [], "oms_test_constant", before="SELECT 1; ")
    assert (first, second, constant) == ([(5, 2, 2, "100%")], [(6, 5, 0, "100%")], [("50%",)])
    assert len(queries) == 3
    assert prepared_names() == ({"oms_test_sum", "oms_test_constant"} if prepared else set())


@override_settings(OMS_PREPARED_STATEMENTS=False)
def test_without_prepared_statements_the_sql_goes_as_a_plain_parameterised_statement():
    deallocate_all()
    with CaptureQueriesContext(connection) as queries:
        run(SQL, [2, 3, ["a"]])
    sent = queries.captured_queries[0]["sql"]
    assert "PREPARE" not in sent and "EXECUTE" not in sent
    assert sent.startswith("SELECT 2::int + 3::int, 2::int, cardinality(ARRAY['a']::text[]), '100%'")


def test_a_statement_that_failed_on_first_use_is_prepared_again_on_the_next():
    deallocate_all()
    failing = "SELECT 1 / $1::int"
    with pytest.raises(DatabaseError, match="division by zero"), transaction.atomic():
        with connection.cursor() as cursor:
            execute_prepared(cursor, "oms_test_divide", failing, [0])
    assert "oms_test_divide" in prepared_names()  # PostgreSQL kept it through the rollback
    with connection.cursor() as cursor:
        execute_prepared(cursor, "oms_test_divide", failing, [1])
        assert cursor.fetchall() == [(1,)]


def test_a_failure_before_the_prepare_ran_leaves_nothing_behind():
    deallocate_all()
    with pytest.raises(DatabaseError, match="division by zero"), transaction.atomic():
        run(SQL, [1, 1, []], before="SELECT 1 / 0; ")
    assert "oms_test_sum" not in prepared_names()
    assert run(SQL, [1, 1, []], before="SELECT 1; ") == [(2, 1, 0, "100%")]


def test_a_statement_dropped_behind_our_back_is_prepared_again_after_one_failure():
    deallocate_all()
    run(SQL, [1, 1, []])
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE oms_test_sum")  # as DISCARD ALL or a pooler would
    with pytest.raises(DatabaseError, match="does not exist"), transaction.atomic():
        run(SQL, [1, 1, []])
    assert run(SQL, [1, 2, []]) == [(3, 1, 0, "100%")]


def settings_with(**env) -> dict:
    """The database settings a process started with ``env`` ends up with."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "d = s.DATABASES['default']; print(json.dumps([s.OMS_PREPARED_STATEMENTS, "
        "d.get('DISABLE_SERVER_SIDE_CURSORS', False), d['OPTIONS'].get('options')]))"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("OMS_PREPARED_STATEMENTS", "DATABASE_TRANSACTION_POOLING")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "oms.settings.base", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_transaction_pooling_turns_off_what_needs_a_session_of_its_own():
    timeouts = "-c lock_timeout=10000 -c statement_timeout=60000"
    assert settings_with() == [True, False, timeouts]
    assert settings_with(OMS_PREPARED_STATEMENTS="0") == [False, False, timeouts]
    # PgBouncer refuses the options startup parameter: the pooler or the server sets the timeouts
    assert settings_with(DATABASE_TRANSACTION_POOLING="1") == [False, True, None]
