"""Helpers shared by the purchasing services (not part of the public interface)."""

from __future__ import annotations

from django.db import IntegrityError


def user_or_none(user):
    return user if getattr(user, "pk", None) else None


def constraint_name(exc: IntegrityError) -> str:
    diag = getattr(getattr(exc, "__cause__", None), "diag", None)
    return getattr(diag, "constraint_name", "") or ""
