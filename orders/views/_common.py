"""Helpers shared by the order views."""

from __future__ import annotations

from django.http import HttpResponse
from django.template.loader import render_to_string

from oms.errors import MultipleErrors, OmsError


def render_parts(request, template: str, parts: list[tuple[str, dict]], context: dict) -> HttpResponse:
    """Several partials of one template in one response: the first is the swap target, the
    others carry ``hx-swap-oob`` (their context says ``oob``)."""
    html = "".join(render_to_string(f"{template}#{name}", {**context, **extra}, request) for name, extra in parts)
    return HttpResponse(html)


def error_messages(exc: OmsError) -> list[str]:
    errors = exc.errors if isinstance(exc, MultipleErrors) else [exc]
    return [error.message for error in errors]


def add_errors(form, exc: OmsError, fields: dict[str, str] | None = None) -> None:
    """Business errors onto the form: a service field path (``addresses.0.postal_code``) goes to
    the form field ``fields`` maps it to, or that has its last part's name; else to the form."""
    errors = exc.errors if isinstance(exc, MultipleErrors) else [exc]
    for error in errors:
        path = error.field or ""
        name = (fields or {}).get(path) or path.rsplit(".", 1)[-1]
        form.add_error(name if name in form.fields else None, error.message)
