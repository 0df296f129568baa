"""Sync the exception inbox with every registered rule now (beat does it every few minutes)."""

import time

from django.core.management.base import BaseCommand

from oms import exceptions


class Command(BaseCommand):
    help = "Run every exception rule and open, touch or close inbox items; prints counts and timing per rule."

    def add_arguments(self, parser):
        parser.add_argument("--rule", action="append", default=[], help="only this rule code (repeatable)")
        parser.add_argument("--small", action="store_true", help="ignored (load_demo_data passes it)")

    def handle(self, *args, **options):
        codes = options["rule"] or list(exceptions.RULES)
        for code in codes:
            started = time.perf_counter()
            result = exceptions.refresh_exceptions(only=[code])
            took = (time.perf_counter() - started) * 1000
            failed = " FAILED" if result.failed_rules else ""
            self.stdout.write(
                f"{code:32} opened {result.opened:4} touched {result.touched:4} closed {result.closed:4} "
                f"{took:7.1f} ms{failed}"
            )
