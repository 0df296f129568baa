"""Logging into the screens (and the admin): Django's model backend, except that an API
client's user never logs in, whatever its password (API.md 1.1: a client has a token, not a
login). A client's own user has no usable password anyway; this also shuts out users of the
``api_client`` role and tokens migrated from before 1.1, whose users may have one."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from oms.roles import Role


class StaffOnlyBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and is_api_user(user):
            return None
        return user


def is_api_user(user) -> bool:
    """The user of an API client, or one holding the ``api_client`` role (one query)."""
    model = type(user)
    return model.objects.filter(Q(api_client__isnull=False) | Q(groups__name=Role.API_CLIENT), pk=user.pk).exists()
