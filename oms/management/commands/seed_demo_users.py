"""One demo user per role, with passwords made once and kept in var/demo-credentials.json."""

import json
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from oms.roles import Role


class Command(BaseCommand):
    help = "Create (or keep) one demo user per role and print their passwords."

    def handle(self, *args, **options):
        path = Path(settings.BASE_DIR) / "var" / "demo-credentials.json"
        known = json.loads(path.read_text()) if path.exists() else {}
        rows = []
        for role in Role:
            password = known.get(role.value) or secrets.token_urlsafe(9)
            user = self._ensure_user(role, password)
            known[role.value] = password
            token = Token.objects.get_or_create(user=user)[0].key if role == Role.API_CLIENT else ""
            rows.append((role.value, password, token))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(known, indent=2))
        path.chmod(0o600)
        self.stdout.write("Demo users (username = role):")
        for username, password, token in rows:
            extra = f"  API token: {token}" if token else ""
            self.stdout.write(f"  {username:<18} {password}{extra}")

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
