"""List every row that breaks a business invariant; exit non-zero if there is any."""

import json
import sys

from django.core.management.base import BaseCommand

from oms import invariants


class Command(BaseCommand):
    help = "Check stock, order, ledger and invoice invariants; exits 1 when any is broken."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options):
        results = invariants.run_all()
        broken = {name: rows for name, rows in results.items() if rows}
        if options["json"]:
            self.stdout.write(json.dumps(results, indent=2, default=str))
        else:
            for name, rows in results.items():
                mark = "FAIL" if rows else "ok  "
                self.stdout.write(f"{mark} {name}" + (f" ({len(rows)} rows)" if rows else ""))
                for row in rows[:50]:
                    self.stdout.write(f"       {json.dumps(row, default=str)}")
        if broken:
            sys.exit(1)
