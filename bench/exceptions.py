"""The exception inbox on a loaded database (the demo data, or a copy of production).

    DATABASE_URL=postgres://... .venv/bin/python bench/exceptions.py [--runs 5]

For every registered rule: the median time of one refresh of that rule (its ``find()`` query
plus the sync of its items), how many subjects it reports, and the access path PostgreSQL
chooses for its query (EXPLAIN: the scan node), so that a rule that scans the order book shows.
Then the inbox page for a manager: time and number of queries. Writes exception items (as the
beat would) and nothing else.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings.base")
os.environ.pop("REDIS_URL", None)  # tasks inline
os.environ["OMS_TASKS_INLINE"] = "1"

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from oms import exceptions  # noqa: E402


def scan_nodes(code: str) -> str:
    """The scan nodes of the rule's queries (EXPLAIN of what ``find()`` runs)."""
    rule = exceptions.RULES[code]
    with CaptureQueriesContext(connection) as queries:
        rule.find()
    nodes = []
    for query in queries.captured_queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + query["sql"])
            for (line,) in cursor.fetchall():
                line = line.strip().lstrip("-> ").strip()
                if "Scan" in line:
                    nodes.append(line.split("  (")[0])
    return "; ".join(nodes) or "-"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM orders_order")
        (orders,) = cursor.fetchone()
    print(f"orders in the database: {orders}")
    print(f"{'rule':30} {'subjects':>8} {'median ms':>10}  access path")
    for code, rule in exceptions.RULES.items():
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            exceptions.refresh_exceptions(only=[code])
            times.append((time.perf_counter() - started) * 1000)
        subjects = len(rule.find())
        print(f"{code:30} {subjects:8} {statistics.median(times):10.1f}  {scan_nodes(code)}")
    started = time.perf_counter()
    exceptions.refresh_exceptions()
    print(f"full refresh: {(time.perf_counter() - started) * 1000:.1f} ms")

    user, _ = get_user_model().objects.get_or_create(username="bench-exceptions", defaults={"is_superuser": True})
    client = Client()
    client.force_login(user)
    client.get("/exceptions/")  # warm up
    times = []
    for _ in range(args.runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/exceptions/")
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    print(f"inbox page (manager): median {statistics.median(times):.1f} ms, {len(queries)} queries")


if __name__ == "__main__":
    main()
