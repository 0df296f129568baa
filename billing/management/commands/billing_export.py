"""Export the journal or the invoices of a period as CSV.

python manage.py billing_export journal --from 2026-01-01 --to 2026-03-31 -o journal-q1.csv
python manage.py billing_export invoices --from 2026-01-01 --to 2026-12-31 > invoices-2026.csv
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from billing import export
from oms.exports import csv_lines


class Command(BaseCommand):
    help = "Write the journal or the invoices of a period as CSV (to a file or standard output)."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["journal", "invoices"])
        parser.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, **options):
        try:
            start, end = date.fromisoformat(options["date_from"]), date.fromisoformat(options["date_to"])
        except ValueError as exc:
            raise CommandError(f"dates are YYYY-MM-DD: {exc}") from exc
        if start > end:
            raise CommandError("--from is after --to")
        rows = export.journal_rows(start, end) if options["what"] == "journal" else export.invoice_rows(start, end)
        if options["output"]:
            written = 0
            with open(options["output"], "w", encoding="utf-8", newline="") as handle:
                for line in csv_lines(rows):
                    handle.write(line)
                    written += 1
            self.stderr.write(f"wrote {written - 1} rows to {options['output']}")
        else:
            for line in csv_lines(rows):
                self.stdout.write(line, ending="")
