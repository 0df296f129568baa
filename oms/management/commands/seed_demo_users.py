"""One demo user per staff role, with passwords made once and kept in var/demo-credentials.json,
and one demo API client with every scope (an API client has a token, not a login; its token is
kept in the same file, as the database holds only its hash)."""

import json
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from oms import demo_credentials
from oms.api_clients import api_client_create, token_hash
from oms.models import ApiClient
from oms.roles import STAFF_ROLES, Role


class Command(BaseCommand):
    help = "Create (or keep) one demo user per role and print their passwords."

    def handle(self, *args, **options):
        path = Path(settings.BASE_DIR) / "var" / "demo-credentials.json"
        known = json.loads(path.read_text()) if path.exists() else {}
        rows = []
        for role in STAFF_ROLES:
            password = known.get(role.value) or secrets.token_urlsafe(9)
            self._ensure_user(role, password)
            known[role.value] = password
            rows.append((role.value, password, ""))
        known[Role.API_CLIENT.value] = self._ensure_client(known.get(Role.API_CLIENT.value))
        rows.append(("API client", "(no login)", known[Role.API_CLIENT.value]))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(known, indent=2))
        path.chmod(0o600)
        self.stdout.write(demo_credentials.table(rows))

    def _ensure_client(self, token: str | None) -> str:
        live = ApiClient.objects.filter(token_hash=token_hash(token or ""), revoked_at__isnull=True)
        if token and token.startswith("oms_") and live.exists():
            return token
        return api_client_create(name="Demo webshop and ERP", scopes=["all"])[1]

    def _ensure_user(self, role: Role, password: str):
        user, created = get_user_model().objects.get_or_create(
            username=role.value,
            defaults={
                "first_name": str(role.label),
                "email": f"{role.value}@oms.example",
                "is_staff": role == Role.MANAGER,
            },
        )
        if created or not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role.value))
        return user
