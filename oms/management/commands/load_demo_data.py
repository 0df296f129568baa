"""Load every app's demo data, lowest layer first. Each app contributes a ``demo_<app>`` command;
this one only calls them by name, so ``oms`` imports no app."""

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

ORDER = [
    "demo_inventory",
    "demo_customers",
    # carriers, rates and holidays need nothing above them; loaded before the orders so the
    # open demo orders get a real delivery quote instead of the flat-rate stand-in
    "demo_shipping",
    "demo_orders",
    "demo_purchasing",
    "demo_billing",
    "demo_fulfilment",
    "refresh_exceptions",  # the exception inbox as the beat would show it
]


class Command(BaseCommand):
    help = "Load the demo catalogue, customers and history (idempotent: skips what is loaded)."

    def add_arguments(self, parser):
        parser.add_argument("--small", action="store_true", help="a small data set, for tests")

    def handle(self, *args, **options):
        available = get_commands()
        for name in ORDER:
            if name in available:
                self.stdout.write(f"== {name}")
                call_command(name, small=options["small"], stdout=self.stdout)
