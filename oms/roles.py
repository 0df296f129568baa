"""Roles are Django groups, created by a data migration. Views and API views say which roles
may use them; ``manager`` and superusers may use everything.

    @role_required(Role.WAREHOUSE)            # a page
    permission_classes = [api_access(Scope.STOCK_WRITE, roles=(Role.WAREHOUSE,))]   # an API view

An API view names the scopes of API clients too (``oms.api.api_access``, API.md 1.1): a client
acts by its scopes, never by a role. The ``api_client`` role is kept for users from before 1.1;
it opens no endpoint, and its users cannot log into the screens (``oms.auth``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


class Role(models.TextChoices):
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    WAREHOUSE = "warehouse", _("Warehouse")
    PURCHASING = "purchasing", _("Purchasing")
    ACCOUNTING = "accounting", _("Accounting")
    MANAGER = "manager", _("Manager")
    API_CLIENT = "api_client", _("API client")


ALL_ROLES = tuple(Role)
STAFF_ROLES = tuple(r for r in Role if r != Role.API_CLIENT)


def user_roles(user) -> frozenset[str]:
    """The role names of a user, cached on the user object for the request."""
    if not user or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_oms_roles", None)
    if cached is None:
        cached = remember_roles(user, user.groups.values_list("name", flat=True))
    return cached


def remember_roles(user, group_names) -> frozenset[str]:
    """Cache the user's roles from their group names (read elsewhere, e.g. with the API token)."""
    roles = frozenset(group_names)
    if user.is_superuser:
        roles = roles | {Role.MANAGER.value}
    user._oms_roles = roles
    return roles


def has_role(user, *roles: str) -> bool:
    held = user_roles(user)
    return Role.MANAGER in held or any(role in held for role in roles)


def role_required(*roles: str) -> Callable:
    """Page decorator: login first (redirect), then one of ``roles`` (403)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied("Your role may not use this page.")
            return view(request, *args, **kwargs)

        wrapper.oms_roles = tuple(roles)
        return wrapper

    return decorator


def roles_allowed(*roles: str) -> type[BasePermission]:
    """DRF permission class that lets through users holding one of ``roles``."""

    class HasRole(BasePermission):
        message = "Your role may not use this endpoint."
        allowed = tuple(roles)

        def has_permission(self, request, view) -> bool:
            return bool(request.user and request.user.is_authenticated and has_role(request.user, *roles))

    HasRole.__name__ = f"HasRole_{'_'.join(roles) or 'none'}"
    return HasRole
