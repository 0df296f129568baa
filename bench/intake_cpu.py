"""Benchmark: the CPU of one API order against the bare 13-query view's, request by request,
in process, and where the API's goes (issue 13's last goal).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_x .venv/bin/python bench/intake_cpu.py \
        [--batches 12] [--batch 100] [--profile 1500] [--quotes shipping|flat] [--prepared on|off]

It works in ``bench/order_intake.py``'s database (``<DATABASE_URL's database>_bench``, seeded by
that bench; run it once first) with the same settings (base settings, ``DEBUG`` off, a persistent
connection, the events to a Redis list of their own). Two processes, one per contestant (the bare
view is a Django project of its own), call their WSGI application directly, without a server or
a socket, with the requests the wrk scripts send: ``POST /api/v1/orders/`` with a 10-line web
order, a token and an ``Idempotency-Key``, and the bare view's ``POST /order``. They take turns
batch by batch, so a machine loaded by other work slows both alike; per contestant it prints the
median over the batches of the Python CPU per order (``time.process_time``) and the CPU of its
PostgreSQL backend per order (``/proc``, the batches summed: it counts in clock ticks), and the
garbage collector's share of the Python (``gc.callbacks``). The API is ``oms.wsgi``'s application,
as gunicorn loads it.

``--also-api-from DIR`` (repeatable) adds the API of another checkout (e.g. the code before a
change) as a contestant of its own, in the same turns and database.

``--profile N`` then places N more orders in each process under a sampling profiler that fires
on the process's CPU time (``ITIMER_PROF``) and books each sample to the innermost part of the
request on the stack (``PARTS``: middleware, DRF, validation, pricing, quote, writer, outbox,
rendering ...). It prints each part's share of the samples as CPU ms per order (the share times the
unprofiled median), beside the bare view's, and the functions most often on top of the stack.
Numbers from another day are not comparable: compare rows of one run.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import order_intake  # noqa: E402
from scratchdb import scratch_database_url  # noqa: E402

QUEUE = "bench-intake-cpu"
SETTINGS = order_intake.SETTINGS.replace(order_intake.QUEUE, QUEUE)
SAMPLE_INTERVAL = 0.0005  # seconds of process CPU between samples

# The parts of a request: (name, [(path fragment, function name or "*"), ...]). A sample goes to
# the innermost frame on its stack that matches a part, so the catch-alls (the Django handler,
# DRF's dispatch, the view) get only what no part inside them claims.
PARTS = [
    ("Django handler, middleware", [("django/core/handlers/wsgi.py", "__call__")]),
    ("DRF dispatch: request, finalize", [("rest_framework/views.py", "dispatch")]),
    ("DRF initial: negotiation, versioning, throttles", [("rest_framework/views.py", "initial")]),
    ("DRF token authentication", [("rest_framework/request.py", "_authenticate")]),
    ("DRF permissions", [("rest_framework/views.py", "check_permissions")]),
    ("JSON parse, input guard", [("rest_framework/request.py", "_parse"), ("oms/input_guard.py", "*")]),
    ("Idempotency-Key (fingerprint, record)", [("oms/idempotency.py", "*")]),
    ("view (rest)", [("orders/api.py", "post"), ("bench/bare_order_view.py", "create_order")]),
    ("plain_order / serializer", [("orders/api.py", "plain_order"), ("rest_framework/serializers.py", "is_valid")]),
    ("client's order check", [("orders/api.py", "check_client_order")]),
    (
        "order_place: input cleaning",
        [
            ("orders/services/placement.py", "clean_head"),
            ("orders/services/placement.py", "clean_lines"),
            ("orders/services/placement.py", "clean_customer_ref"),
        ],
    ),
    (
        "order_place (rest)",
        [
            ("orders/services/placement.py", "order_place"),
            ("orders/services/placement.py", "_place_new"),
            ("orders/services/placement.py", "place"),
        ],
    ),
    ("products read", [("orders/services/placement.py", "resolve_products")]),
    (
        "customer, addresses",
        [
            ("orders/services/placement.py", "resolve_customer"),
            ("orders/services/placement.py", "order_addresses"),
            ("orders/services/placement.py", "check_customer"),
        ],
    ),
    (
        "lines: consumer prices incl. VAT",
        [("orders/services/placement.py", "new_line"), ("orders/services/placement.py", "<listcomp>")],
    ),
    (
        "VAT: regime, rates, line totals, totals",
        [
            ("orders/services/placement.py", "price_lines"),
            ("orders/services/placement.py", "apply_totals"),
            ("orders/services/placement.py", "check_credit_limit"),
        ],
    ),
    (
        "stock reservation",
        [
            ("inventory/services/reservations.py", "stock_reserve"),
            ("orders/services/placement.py", "apply_reservations"),
        ],
    ),
    ("delivery quote, planner", [("orders/services/placement.py", "quote_for")]),
    ("reference-data stamps", [("oms/reference_cache.py", "*")]),
    ("writer: order, lines, allocations, timeline", [("orders/services/placement.py", "_write")]),
    (
        "outbox, broker",
        [
            ("orders/services/_common.py", "publish_all"),
            ("oms/events.py", "*"),
            ("oms/broker.py", "*"),
            ("oms/outbox.py", "*"),
        ],
    ),
    ("answer: representation, JSON, stored", [("orders/api.py", "answer")]),
    (
        "transaction: begin, commit",
        [("django/db/transaction.py", "__enter__"), ("django/db/transaction.py", "__exit__")],
    ),
    ("audit context (execute wrapper)", [("oms/audit.py", "inject_context_once")]),
    (
        "SQL: cursor, driver",
        [
            ("django/db/backends/utils.py", "_execute"),
            ("oms/sql.py", "execute_prepared"),
            ("django/db/backends/utils.py", "execute"),
        ],
    ),
    ("logging", [("logging/__init__.py", "*")]),
]
OUTSIDE = "outside a request"


def _part_index() -> dict[tuple[str, str], str]:
    return {(fragment, function): name for name, patterns in PARTS for fragment, function in patterns}


class Sampler:
    """Samples the main thread's stack every ``interval`` seconds of process CPU."""

    def __init__(self, interval: float = SAMPLE_INTERVAL) -> None:
        self.interval = interval
        self.parts: Counter = Counter()
        self.tops: Counter = Counter()
        self.inclusive: Counter = Counter()  # samples with the function anywhere on the stack
        self.part_of: dict = {}  # code object -> part name or None
        self.patterns = _part_index()

    def _classify(self, code) -> str | None:
        if code not in self.part_of:
            name = None
            for (fragment, function), part in self.patterns.items():
                if fragment in code.co_filename and function in ("*", code.co_name):
                    name = part
                    break
            self.part_of[code] = name
        return self.part_of[code]

    def _sample(self, signum, frame) -> None:
        self.tops[frame.f_code] += 1
        part, seen = None, set()
        while frame is not None:
            code = frame.f_code
            if part is None:
                part = self._classify(code)
            seen.add(code)
            frame = frame.f_back
        self.inclusive.update(seen)
        self.parts[part or OUTSIDE] += 1

    @staticmethod
    def named(counter: Counter, top: int) -> dict[str, int]:
        return {f"{_short(c.co_filename)}:{c.co_firstlineno}({c.co_name})": n for c, n in counter.most_common(top)}

    def __enter__(self):
        signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)
        return self

    def __exit__(self, *exc) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0)


def _short(filename: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/", "lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def environ(path: str, body: bytes, headers: dict[str, str]) -> dict:
    env = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    for name, value in headers.items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def backend_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def call(application, env: dict) -> int:
    """One request as a WSGI server makes it (the body iterated and closed); its status."""
    status = []
    chunks = application(env, lambda line, headers, exc_info=None: status.append(line))
    for _ in chunks:
        pass
    if hasattr(chunks, "close"):
        chunks.close()
    return int(status[0].split()[0])


class GcClock:
    """The process CPU time the garbage collector has taken (all generations) since it started."""

    def __init__(self) -> None:
        self.seconds, self._started = 0.0, 0.0
        gc.callbacks.append(self._tick)

    def _tick(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started


def worker(kind: str, token: str) -> None:
    """One contestant: warm up, then answer the parent's commands (``run N`` and ``profile N``)
    with a JSON line each."""
    rng = random.Random(os.getpid())
    if kind == "api":
        from oms.wsgi import application  # as gunicorn loads it (its views imported, gc.freeze)

        numbers = order_intake.customer_numbers()
        path, headers = "/api/v1/orders/", {"Authorization": f"Token {token}"}

        def request():
            body = json.dumps(order_intake.order_body(rng, numbers)).encode()
            return environ(path, body, headers | {"Idempotency-Key": uuid.uuid4().hex})
    else:
        import bare_order_view

        application = bare_order_view.application

        def request():
            return environ("/order", json.dumps(order_intake.bare_body(rng)).encode(), {})

    from django.db import connection

    for _ in range(50):
        assert call(application, request()) == 201
    pid = connection.connection.info.backend_pid
    import orders

    print("ready", Path(orders.__file__).parent.parent if kind == "api" else "", flush=True)
    collector = GcClock()
    for command in sys.stdin:
        what, count, *dump = command.split()
        requests = [request() for _ in range(int(count))]
        sampler = Sampler() if what == "profile" else None
        profiler = cProfile.Profile(time.process_time) if what == "cprofile" else None
        ticks, cpu, collected = backend_ticks(pid), time.process_time(), collector.seconds
        if sampler:
            sampler.__enter__()
        if profiler:
            profiler.enable()
        for env in requests:
            status = call(application, env)
            if status != 201:
                raise SystemExit(f"{kind}: HTTP {status}")
        if sampler:
            sampler.__exit__()
        if profiler:
            profiler.disable()
            profiler.dump_stats(dump[0])
        cpu = time.process_time() - cpu
        assert connection.connection.info.backend_pid == pid, "the connection was not kept"
        result = {"python": cpu, "db_ticks": backend_ticks(pid) - ticks, "orders": len(requests)}
        result["gc"] = collector.seconds - collected
        if sampler:
            result["parts"], result["tops"] = dict(sampler.parts), sampler.named(sampler.tops, 40)
            result["inclusive"] = sampler.named(sampler.inclusive, 150)
        print(json.dumps(result), flush=True)


class Contestant:
    def __init__(self, kind: str, token: str, url: str, settings_dir: str, env: dict, code: Path = ROOT) -> None:
        full = dict(os.environ, DATABASE_URL=url, CONN_MAX_AGE="600", **env)
        full["DJANGO_SETTINGS_MODULE"] = "bench_order_intake_settings"
        full["PYTHONPATH"] = os.pathsep.join([settings_dir, str(code), str(code / "bench")])
        self.kind = kind
        # the checkout's own copy of this bench, so that its code is the one imported
        self.process = subprocess.Popen(
            [sys.executable, str(code / "bench" / Path(__file__).name), "--worker", kind, "--token", token],
            env=full,
            cwd=code,  # Celery's Django fixup puts the working directory first on the path
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready = self.process.stdout.readline().split()
        assert ready[:1] == ["ready"], f"{kind} did not start"
        self.code = ready[1] if len(ready) > 1 else ""

    def ask(self, what: str, count: int, *extra: str) -> dict:
        self.process.stdin.write(" ".join([what, str(count), *extra]) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"{self.kind} stopped (exit code {self.process.wait()})")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=12, help="batches per contestant, taking turns")
    parser.add_argument("--batch", type=int, default=100, help="orders per batch")
    parser.add_argument("--profile", type=int, default=0, help="then this many orders each under the sampler")
    parser.add_argument("--verbose", action="store_true", help="with --profile: inclusive time per function")
    parser.add_argument("--cprofile", metavar="PATH", help="and dump a cProfile of as many orders to PATH.api/.bare")
    parser.add_argument("--quotes", choices=["shipping", "flat"], default="shipping")
    parser.add_argument("--prepared", choices=["on", "off"], default="on")
    parser.add_argument(
        "--also-api-from",
        metavar="DIR",
        action="append",
        help="also the API of another checkout with this bench (e.g. before a change), in turn; may be repeated",
    )
    parser.add_argument("--worker", choices=["api", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.token)

    url = scratch_database_url("_bench")
    settings_dir = tempfile.mkdtemp(prefix="bench-intake-cpu-")
    Path(settings_dir, "bench_order_intake_settings.py").write_text(SETTINGS)
    env = order_intake.mode_env(args.quotes, args.prepared)
    os.environ.update(env)
    order_intake.setup_django(url, settings_dir)
    order_intake.reset()
    token = order_intake.api_token()
    print(
        f"{order_intake.mode_label(args.quotes, args.prepared)}; in process (WSGI calls, no server), "
        f"{args.batches} batches of {args.batch} orders each, taking turns"
    )
    try:
        with order_intake.perf_tables():
            contestants = {kind: Contestant(kind, token, url, settings_dir, env) for kind in ("api", "bare")}
            if args.also_api_from:
                others = {
                    f"api_other{n}": Contestant("api", token, url, settings_dir, env, Path(directory).resolve())
                    for n, directory in enumerate(args.also_api_from, start=1)
                }
                contestants = {"api": contestants["api"], **others, "bare": contestants["bare"]}
                print(f"API code: {contestants['api'].code}")
                for n, other in enumerate(others.values(), start=1):
                    print(f"  --also-api-from ({n}): {other.code}")
            try:
                report(contestants, args)
            finally:
                for contestant in contestants.values():
                    contestant.close()
    finally:
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).delete(QUEUE)
        order_intake.reset()


def report(contestants: dict[str, Contestant], args) -> None:
    runs: dict[str, list[dict]] = {kind: [] for kind in contestants}
    for _ in range(args.batches):
        for kind, contestant in contestants.items():
            runs[kind].append(contestant.ask("run", args.batch))
    hz = os.sysconf("SC_CLK_TCK")
    python, database = {}, {}
    labels = {"api": "API POST /api/v1/orders/", "bare": "bare 13-query view"}
    labels.update({kind: f"API, --also-api-from ({kind[9:]})" for kind in runs if kind.startswith("api_other")})
    print("CPU per order, ms: Python (process_time; median of the batches, lowest-highest) | its PostgreSQL backend")
    for kind, batches in runs.items():
        per_batch = sorted(b["python"] * 1000 / b["orders"] for b in batches)
        python[kind] = statistics.median(per_batch)
        database[kind] = sum(b["db_ticks"] for b in batches) / hz * 1000 / sum(b["orders"] for b in batches)
        print(
            f"  {labels[kind]:<26} Python {python[kind]:5.2f} ({per_batch[0]:.2f}-{per_batch[-1]:.2f})"
            f"   PostgreSQL {database[kind]:5.2f}   both {python[kind] + database[kind]:5.2f}"
        )
    collected = {
        kind: sum(b["gc"] for b in batches) * 1000 / sum(b["orders"] for b in batches) for kind, batches in runs.items()
    }
    print(
        "  of the Python, the garbage collector's (ms per order, the batches summed): "
        + ", ".join(f"{labels[k]} {v:.3f}" for k, v in collected.items())
    )
    for kind in [k for k in runs if k != "bare"]:
        print(
            f"  {labels[kind]} as a share of the bare view: Python {python[kind] / python['bare']:.0%}, "
            f"both {(python[kind] + database[kind]) / (python['bare'] + database['bare']):.0%}"
        )
    if args.profile:
        profile(contestants, args.profile, python, args.verbose)
    if args.cprofile:
        for kind, contestant in contestants.items():
            path = f"{args.cprofile}.{kind}"
            contestant.ask("cprofile", args.profile or args.batch, path)
            print(f"cProfile of {kind}: {path} (python -m pstats {path})")


def profile(contestants: dict[str, Contestant], orders: int, python: dict[str, float], verbose: bool) -> None:
    sampled = {kind: contestants[kind].ask("profile", orders) for kind in ("api", "bare")}
    shares = {}
    for kind, result in sampled.items():
        total = sum(result["parts"].values())
        shares[kind] = {part: count / total for part, count in result["parts"].items()}
        shares[kind]["_samples"] = total
    print(
        f"\nwhere the Python CPU goes (ms per order: share of {sampled['api']['orders']} sampled orders x the median "
        f"above; {shares['api']['_samples']} and {shares['bare']['_samples']} samples)"
    )
    print(f"  {'part':<48} {'API':>6} {'bare':>6}")
    for name in [name for name, _ in PARTS] + [OUTSIDE]:
        api, bare = (shares[kind].get(name, 0) * python[kind] for kind in ("api", "bare"))
        if api or bare:
            print(f"  {name:<48} {api:6.2f} {bare:6.2f}")
    print(f"  {'total':<48} {python['api']:6.2f} {python['bare']:6.2f}")
    for kind in ("api", "bare"):
        total = shares[kind]["_samples"]
        print(f"\n{kind}: most often on top of the stack (share of samples)")
        for function, count in list(sampled[kind]["tops"].items())[:25]:
            print(f"  {count / total:5.1%}  {function}")
        if verbose:
            print(f"\n{kind}: functions anywhere on the stack (ms per order, inclusive)")
            for function, count in sampled[kind]["inclusive"].items():
                print(f"  {count / total * python[kind]:6.3f}  {function}")


if __name__ == "__main__":
    main()
