"""``python manage.py create_api_client NAME [--channel web|phone|store|b2b] --scope SCOPE [...]``:
create an API client (API.md 1.1) and print its token, alone, on the last line. The token is
shown this once; only its hash is kept."""

from django.core.management.base import BaseCommand, CommandError

from oms.api_clients import CHANNELS, Scope, api_client_create
from oms.errors import MultipleErrors, OmsError


class Command(BaseCommand):
    help = "Create an API client with the given scopes; prints its token (shown only now) on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who uses it, e.g. 'Webshop NL'")
        parser.add_argument("--channel", choices=CHANNELS, default="", help="Bind the client to one sales channel")
        parser.add_argument(
            "--scope",
            dest="scopes",
            action="append",
            choices=Scope.values,
            required=True,
            metavar="SCOPE",
            help=f"Repeat for each scope: {', '.join(Scope.values)}",
        )

    def handle(self, *args, name, channel, scopes, **options):
        try:
            client, token = api_client_create(name=name, scopes=scopes, channel=channel)
        except OmsError as exc:
            errors = exc.errors if isinstance(exc, MultipleErrors) else [exc]
            raise CommandError("; ".join(f"{e.field}: {e.message}" for e in errors)) from exc
        bound = f"channel {client.channel}" if client.channel else "no channel"
        self.stdout.write(f"API client {client.name!r} ({bound}; scopes: {', '.join(client.scopes)}).")
        self.stdout.write("Send it as 'Authorization: Token <token>'. It is shown only now; keep it safe:")
        self.stdout.write(token)
