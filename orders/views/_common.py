"""Helpers shared by the order views."""

from __future__ import annotations

from django.http import HttpResponse
from django.template.context import make_context
from django.template.loader import get_template

from oms.errors import MultipleErrors, OmsError


def render_parts(request, template: str, parts: list[tuple[str, dict]], context: dict) -> HttpResponse:
    """Several partials of one template in one response: the first is the swap target, the
    others carry ``hx-swap-oob`` (their context says ``oob``). One request context for them all,
    as one template would have: the context processors run once, not once per partial (a line
    added answers with five)."""
    found = [get_template(f"{template}#{name}") for name, _ in parts]
    context = make_context(context, request, autoescape=found[0].backend.engine.autoescape)
    html = []
    with context.bind_template(found[0].template):
        for partial, (_, extra) in zip(found, parts, strict=True):
            with context.push(extra):
                html.append(partial.template.render(context))
    return HttpResponse("".join(html))


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
