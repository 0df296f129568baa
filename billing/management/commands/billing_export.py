"""Export the journal or the invoices of a period as CSV, or the ledger as an XAF 3.2 audit file.

python manage.py billing_export journal --from 2026-01-01 --to 2026-03-31 -o journal-q1.csv
python manage.py billing_export invoices --from 2026-01-01 --to 2026-12-31 > invoices-2026.csv
python manage.py billing_export xaf --year 2026 -o auditfile-2026.xaf
python manage.py billing_export xaf --year 2026 --from 2026-01-01 --to 2026-03-31 -o auditfile-q1.xaf
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from billing import export, xaf
from oms.exports import csv_lines


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"dates are YYYY-MM-DD: {exc}") from exc


class Command(BaseCommand):
    help = "Write the journal or the invoices of a period as CSV, or the XAF 3.2 audit file of a (part of a) year."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["journal", "invoices", "xaf"])
        parser.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD (xaf: default 1 January)")
        parser.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD (xaf: default 31 December)")
        parser.add_argument("--year", type=int, help="xaf: the fiscal year")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, **options):
        start, end = _date(options["date_from"]), _date(options["date_to"])
        if options["what"] == "xaf":
            self._xaf(options["year"], start, end, options["output"])
            return
        if start is None or end is None:
            raise CommandError("--from and --to are required")
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

    def _xaf(self, year: int | None, start: date | None, end: date | None, output: str | None) -> None:
        if year is None:
            raise CommandError("xaf needs --year")
        try:
            start, end = xaf.period_of_year(year, start, end)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        chunks = xaf.auditfile_chunks(year=year, date_from=start, date_to=end)
        if not output:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            return
        with open(output, "w", encoding="utf-8") as handle:
            for chunk in chunks:
                handle.write(chunk)
        self.stderr.write(f"wrote the audit file of {start} to {end} to {output}")
