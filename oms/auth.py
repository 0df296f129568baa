"""Logging into the screens (and the admin): who may, and how guessing is throttled.

An API client's user never logs in, whatever its password (API.md 1.1: a client has a token, not
a login): ``StaffOnlyBackend`` is Django's model backend less those users. This also shuts out
users of the ``api_client`` role and tokens migrated from before 1.1, whose users may have one.

Login throttling (issue 14 §3): django-axes counts failed logins per (username, address) pair and
refuses that pair for a cool-off time after ``AXES_FAILURE_LIMIT`` failures. The pair, not the
address alone: a whole warehouse behind one NAT address is not locked out by one colleague's
typos, and an attacker cannot lock a user out from elsewhere (ASVS 6.1.1). A manager releases a
lock on the "Locked logins" screen (``lockout_list`` / ``lockout_release``).
"""

from __future__ import annotations

import logging
import re

from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.postgres.aggregates import ArrayAgg
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from oms.roles import Role, remember_roles

security_log = logging.getLogger("oms.security")


class AxesBackend(AxesStandaloneBackend):
    """Axes' check, for logins that come with a request (the login page, the admin, DRF basic
    auth). Server-side calls without a request (``authenticate(username=..., password=...)``
    in a command or ``Client.login()`` in a test) come from code, not from a guesser: they go on
    to the password check instead of raising ``AxesBackendRequestParameterRequired``."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class StaffOnlyBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and is_api_user(user):
            return None
        return user

    def get_user(self, user_id):
        """The session's user, with their roles read in the same query (``oms.roles``): every
        screen checks a role, and reading the groups on their own cost every request a query."""
        model = get_user_model()
        user = model._default_manager.annotate(oms_group_names=ArrayAgg("groups__name")).filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        remember_roles(user, [name for name in user.oms_group_names if name is not None])
        return user


def is_api_user(user) -> bool:
    """The user of an API client, or one holding the ``api_client`` role (one query)."""
    model = type(user)
    return model.objects.filter(Q(api_client__isnull=False) | Q(groups__name=Role.API_CLIENT), pk=user.pk).exists()


class RepetitivePasswordValidator:
    """Refuses passwords made of a few characters repeated (``aaaaaaaaaaaa``, ``abababababab``,
    ``123123123123``): NIST SP 800-63B §3.1.1.2 names "repetitive or sequential characters" as a
    context check, and Django's common-password list does not hold them. No composition rules."""

    def __init__(self, min_distinct: int = 4):
        self.min_distinct = min_distinct

    def validate(self, password: str, user=None) -> None:
        if len(set(password.lower())) < self.min_distinct or re.fullmatch(r"(.+?)\1+", password):
            raise ValidationError(
                _("This password is a few characters repeated; choose a less predictable one."),
                code="password_repetitive",
            )

    def get_help_text(self) -> str:
        return _("Your password can't be a few characters repeated.")


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """The login page's answer to a locked-out pair (``AXES_LOCKOUT_CALLABLE``): 429 with what
    happened and what to do, instead of axes' one-line text."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)


def lockout_list() -> QuerySet[AccessAttempt]:
    """The (username, address) pairs that are locked out now, newest first."""
    return AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT).order_by("-attempt_time")


def lockout_release(*, attempt_id: int, user) -> AccessAttempt | None:
    """Unlock one (username, address) pair by deleting its attempt record, and log who did it.
    Returns the released record, or None when it was already gone (released or expired)."""
    attempt = AccessAttempt.objects.filter(pk=attempt_id).first()
    if attempt is None:
        return None
    attempt.delete()
    security_log.warning(
        "login lockout released: username=%r address=%s by %s", attempt.username, attempt.ip_address, user
    )
    return attempt
