"""One family of business errors.

Every error carries a machine ``code``, an optional ``field`` (a path such as ``lines.0.sku``)
and a human ``message``. Views turn them into form errors (``add_to_form``); the API turns
them into ``application/problem+json`` (``oms.api``) using ``status``.
"""

from __future__ import annotations

from typing import Any


class OmsError(Exception):
    status = 400
    code = "invalid"
    title = "The request could not be processed."

    def __init__(self, message: str = "", *, code: str | None = None, field: str | None = None, **extra: Any) -> None:
        self.message = message or self.title
        if code:
            self.code = code
        self.field = field
        self.extra = extra
        super().__init__(self.message)

    def as_problem_error(self) -> dict[str, Any]:
        item: dict[str, Any] = {"field": self.field, "code": self.code, "message": self.message}
        item.update(self.extra)
        return item


class ValidationFailed(OmsError):
    """Input that breaks a business rule on its own (a bad postcode, a negative quantity)."""

    status = 400
    code = "invalid"
    title = "Invalid input."


class NotFound(OmsError):
    status = 404
    code = "not_found"
    title = "Not found."


class InsufficientScope(OmsError):
    """An API client called outside its scopes (API.md 1.1); ``scopes`` names what would do."""

    status = 403
    code = "insufficient_scope"
    title = "Not allowed for this API client."

    def __init__(self, scopes, message: str = "", *, field: str | None = None) -> None:
        scopes = list(scopes)
        super().__init__(
            message or f"This API client needs the scope {' or '.join(scopes)}.",
            field=field,
            required_scopes=scopes,
        )


class NotPermitted(OmsError):
    """The acting user lacks the permission a change needs (a discount, a price override)."""

    status = 403
    code = "not_permitted"
    title = "Not permitted."


class Conflict(OmsError):
    """A valid request that the current state of the data refuses."""

    status = 409
    code = "conflict"
    title = "Conflict with the current state."


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "This action is not allowed in the current status."

    def __init__(self, current: str, target: str, message: str = "", **extra: Any) -> None:
        super().__init__(
            message or f"Cannot go from '{current}' to '{target}'.",
            current_status=current,
            target_status=target,
            **extra,
        )


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    title = "Not enough stock."


class MultipleErrors(OmsError):
    """Several problems found at once, reported together (a batch, a multi-line order)."""

    def __init__(self, errors: list[OmsError]) -> None:
        self.errors = errors
        first = errors[0]
        self.status = first.status
        super().__init__(first.message, code=first.code, field=first.field)


def error_list(exc: OmsError) -> list[dict[str, Any]]:
    if isinstance(exc, MultipleErrors):
        return [e.as_problem_error() for e in exc.errors]
    return [exc.as_problem_error()]


def add_to_form(form, exc: OmsError) -> None:
    """Show a business error on the form field it concerns, or on the form as a whole."""
    errors = exc.errors if isinstance(exc, MultipleErrors) else [exc]
    for error in errors:
        field = error.field if error.field in getattr(form, "fields", {}) else None
        form.add_error(field, error.message)
