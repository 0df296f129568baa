"""Benchmark companion: the order list's queries under EXPLAIN (ANALYZE, BUFFERS), per scenario
of bench/order_screens.py's list (the same requests, the same random choices), so a slow step
can be traced to its plan (issue 19).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms .venv/bin/python bench/order_list_plans.py \
        [--database NAME] [--runs 5] [--only TEXT] [--plans]

The samples are drawn with a fixed seed (``REPEATABLE``), so two runs (before and after a change)
ask the same questions. Each scenario's request is made ``--runs`` times; each of its queries on
orders and customers runs under EXPLAIN just before it runs for real ("first": the cache as the
request found it) and again after the request ("again": warm). Per query it prints the median
execution time, the worst, and the buffers (hit/read) of the median run; ``--plans`` prints the
first run's first plans.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import order_screens  # noqa: E402
from order_screens import _user, bench_database_url, list_scenarios, setup_django  # noqa: E402

TABLES = ('FROM "orders_order"', 'FROM "customers_customer"')


def _sample_ids(table: str, count: int) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} TABLESAMPLE SYSTEM (5) REPEATABLE (19) ORDER BY id LIMIT %s", [count])
        return [row[0] for row in cursor.fetchall()]


def explain(run, sql: str, params) -> tuple[float, int, int, str]:
    """``run(sql, params)`` returns the rows; -> execution ms, shared hit, read, the plan."""
    plan = "\n".join(row[0] for row in run("EXPLAIN (ANALYZE, BUFFERS) " + sql, params))
    execution = float(re.search(r"Execution Time: ([\d.]+)", plan).group(1))
    top = re.search(r"Buffers: shared(?: hit=(\d+))?(?: read=(\d+))?", plan)
    hit, read = (int(top.group(1) or 0), int(top.group(2) or 0)) if top else (0, 0)
    return execution, hit, read, plan


def measured(call) -> tuple[list, list]:
    """One request: each of its queries on orders or customers explained just before it runs
    (its first reading of those pages: the cache as the request found it) and again after the
    request (warm)."""
    from django.db import connection

    first, queries = [], []

    def keep(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT") and any(table in sql for table in TABLES):
            cursor = context["cursor"]
            first.append(explain(lambda s, p: (execute(s, p, many, context), cursor.fetchall())[1], sql, params))
            queries.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        assert call().status_code == 200
    with connection.cursor() as cursor:
        again = [explain(lambda s, p: (cursor.execute(s, p), cursor.fetchall())[1], sql, ps) for sql, ps in queries]
    return first, again


def summary(results: list[tuple[float, int, int, str]]) -> str:
    results = sorted(results, key=lambda r: r[0])
    median = results[len(results) // 2]
    return f"{median[0]:7.2f} ms median {results[-1][0]:7.2f} max (hit {median[1]} read {median[2]})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="", help="scenarios whose name contains this text")
    parser.add_argument("--plans", action="store_true")
    args = parser.parse_args()
    url = bench_database_url()
    if args.database:
        from urllib.parse import urlparse, urlunparse

        url = urlunparse(urlparse(url)._replace(path="/" + args.database))
    setup_django(url, None)
    order_screens._sample_ids = _sample_ids
    from django.test import Client

    from oms.roles import Role

    client = Client()
    client.force_login(_user("bench-cs", Role.CUSTOMER_SERVICE))
    for name, call in list_scenarios(client):
        if not name.startswith("list:") or args.only not in name:
            continue
        runs = [measured(call) for _ in range(args.runs)]
        print(f"\n{name}")
        for i in range(len(runs[0][0])):
            first = [run[0][i] for run in runs if i < len(run[0])]
            again = [run[1][i] for run in runs if i < len(run[1])]
            print(f"  query {i + 1} first: {summary(first)}; again: {summary(again)}")
            if args.plans:
                print("    " + runs[0][0][i][3].replace("\n", "\n    "))


if __name__ == "__main__":
    main()
