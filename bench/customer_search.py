"""Search as you type at 100k customers: p50/p95 of ``customers.selectors.customer_search``.

    DATABASE_URL=postgres://... .venv/bin/python bench/customer_search.py [--customers 100000]
        [--repeat 20] [--explain] [--cleanup]

Fills the database named by DATABASE_URL up to ``--customers`` customers (extra ones are marked
``external_ref = 'bench:<n>'`` and stay for the next run unless ``--cleanup``), then times the
queries a customer-service agent types: a surname, the first letters of a name, an e-mail, a
phone number whole and in part, a postcode, a customer number, two letters, and a miss.
Each timing is the whole selector call (its two queries), measured in this process.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings.base")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from customers import demo  # noqa: E402
from customers.models import NUMBER_PREFIX, NUMBER_SEQUENCE, Address, Customer  # noqa: E402
from customers.selectors import customer_list, customer_search  # noqa: E402
from customers.services.customers import search_document_for  # noqa: E402
from oms import audit  # noqa: E402
from oms.numbering import format_number, next_values  # noqa: E402

BATCH = 5000
FOREIGN = [c for c in demo.FOREIGN if c in ("DE", "BE", "FR")]


def fill(target: int) -> None:
    have = Customer.objects.count()
    start = Customer.objects.filter(external_ref__startswith="bench:").count()
    missing = target - have
    if missing <= 0:
        print(f"customers: {have} (no new rows needed)")
        return
    began = time.monotonic()
    for offset in range(0, missing, BATCH):
        _insert_batch(range(start + offset, start + min(offset + BATCH, missing)))
        print(f"  inserted {min(offset + BATCH, missing)}/{missing}", end="\r", flush=True)
    print(f"customers: {target} ({missing} inserted in {time.monotonic() - began:.0f} s)")


def settle() -> None:
    """What autovacuum does soon after a bulk load (hint bits, visibility map, statistics);
    measuring before it would time the clean-up, not the search."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE customers_customer")
        cursor.execute("VACUUM ANALYZE customers_address")


def _insert_batch(serials: range) -> None:
    with transaction.atomic(), audit.context(command="bench"):
        numbers = next_values(NUMBER_SEQUENCE, len(serials))
        customers, addresses = [], []
        for serial, number in zip(serials, numbers, strict=True):
            rng = random.Random(1_000_000 + serial)
            country = rng.choice(FOREIGN) if rng.random() < 0.05 else "NL"
            made = demo.customer(rng, country=country, serial=1_000_000 + serial)
            customer = Customer(
                number=format_number(NUMBER_PREFIX, number), external_ref=f"bench:{serial}", **made.fields
            )
            customer.search_document = search_document_for(customer, [a["postal_code"] for a in made.addresses])
            customers.append(customer)
            addresses += [Address(customer=customer, is_default=True, **a) for a in made.addresses]
        Customer.objects.bulk_create(customers)
        Address.objects.bulk_create(addresses)  # their customer_id is taken from the saved customers


def queries(rng: random.Random, samples: int) -> dict[str, list[str]]:
    rows = list(
        Customer.objects.exclude(phone="")
        .order_by("?")
        .values_list("number", "name", "email", "phone", "addresses__postal_code")[:samples]
    )
    out: dict[str, list[str]] = {k: [] for k in ("surname", "name 3 letters", "full name", "e-mail", "phone")}
    out.update({"phone last 6": [], "postcode": [], "number": [], "2 letters": [], "no match": []})
    for number, name, email, phone_number, postcode in rows:
        phone = phone_number.as_e164
        first, last = name.split(" ", 1)
        national = "0" + phone[3:] if phone.startswith("+31") else phone
        out["surname"].append(last)
        out["name 3 letters"].append(first[:3])
        out["full name"].append(name)
        out["e-mail"].append(email.split("@")[0][:10])
        out["phone"].append(f"{national[:2]} {national[2:6]} {national[6:]}")
        out["phone last 6"].append(phone[-6:])
        out["postcode"].append(postcode or "3511 AB")
        out["number"].append(number)
        out["2 letters"].append(first[:2])
        out["no match"].append(f"zq{rng.randint(100, 999)}x")
    return out


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def _counting(log: list[str]):
    def wrapper(execute, sql, *args):
        log.append(sql)
        return execute(sql, *args)

    return wrapper


def measure(kind: str, terms: list[str], repeat: int, call) -> dict:
    timings, counts, found = [], [], []
    for _ in range(repeat):
        for term in terms:
            executed: list[str] = []
            with connection.execute_wrapper(_counting(executed)):
                began = time.perf_counter()
                rows = call(term)
                timings.append((time.perf_counter() - began) * 1000)
            counts.append(len(executed))
            found.append(len(rows))
    return {
        "kind": kind,
        "p50": statistics.median(timings),
        "p95": percentile(timings, 95),
        "max": max(timings),
        "queries": max(counts),
        "rows": statistics.median(found),
    }


def explain(term: str) -> str:
    """The plan of the selector's main query for one term (the one it actually sends)."""
    with CaptureQueriesContext(connection) as captured:
        customer_search(term)
    if not captured.captured_queries:
        return "no query (too short to search)"
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + captured.captured_queries[0]["sql"])
        plan = [row[0] for row in cursor.fetchall()]
    uses_index = any("customer_search_trgm" in line for line in plan)
    return f"{'trigram index' if uses_index else 'no trigram index'}; {plan[-1].strip()}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--cleanup", action="store_true", help="delete the bench customers afterwards")
    args = parser.parse_args()
    fill(args.customers)
    settle()
    samples = queries(random.Random(7), args.samples)
    for term in samples["surname"][:3]:  # warm the cache the way a working day would
        customer_search(term)
    print(
        f"\ncustomer_search(q, limit=20) at {Customer.objects.count():,} customers, {args.repeat} x {args.samples} each"
    )
    print(f"{'query':<16}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'queries':>9}{'rows':>7}")
    results = [measure(kind, terms, args.repeat, customer_search) for kind, terms in samples.items()]
    for r in results:
        print(f"{r['kind']:<16}{r['p50']:>9.2f}{r['p95']:>9.2f}{r['max']:>9.2f}{r['queries']:>9}{r['rows']:>7.0f}")
    print(f"{'all':<16}{statistics.median([r['p50'] for r in results]):>9.2f}{max(r['p95'] for r in results):>9.2f}")
    print("\nAPI list page (customer_list(search=q)[:51], newest first)")
    for kind in ("surname", "postcode", "phone", "2 letters"):
        r = measure(kind, samples[kind], max(1, args.repeat // 4), lambda q: list(customer_list(search=q)[:51]))
        print(f"{r['kind']:<16}{r['p50']:>9.2f}{r['p95']:>9.2f}{r['max']:>9.2f}{r['queries']:>9}{r['rows']:>7.0f}")
    if args.explain:
        print("\nplans (one sample each)")
        for kind, terms in samples.items():
            print(f"{kind:<16}{explain(terms[0])}")
    if args.cleanup:
        deleted, _ = Customer.objects.filter(external_ref__startswith="bench:").delete()
        print(f"\ncleanup: {deleted} rows deleted")


if __name__ == "__main__":
    main()
