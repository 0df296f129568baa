"""Hostile input, refused in one place per class, before any view or query sees it.

The classes (issue 14 §2), and where each is handled:

- control characters: a NUL byte makes PostgreSQL refuse the statement (``A string literal
  cannot contain NUL``), a lone surrogate makes the UTF-8 encoding fail, and the other C0
  controls have no business in a name, a number or a search. ``InputGuardMiddleware`` refuses
  them in the path, the query string and form fields; ``loads`` refuses them in JSON strings
  (and keys), which the API's parser and the webhooks use.
- depth: ``loads`` refuses JSON nested deeper than ``MAX_JSON_DEPTH`` (the C decoder's
  ``RecursionError`` at about a thousand levels included).
- size: a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (uploads excepted, they have their own
  limit) is refused by the middleware before it is read, and what Django itself refuses later
  (``RequestDataTooBig``, too many fields) reaches ``oms.views_errors`` as problem+json on the
  API.
- date range: ``oms.forms.DateField`` (screens) bounds the years so that date arithmetic can
  never overflow.

Tab, line feed and carriage return stay allowed: a note or an address is typed in a textarea.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import HttpResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"

# C0 controls but tab, LF and CR; DEL; lone UTF-16 surrogates (never valid in UTF-8).
BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
MAX_JSON_DEPTH = 32

# Paths answered with problem+json rather than a page: the API and the machine-to-machine hooks.
API_PREFIXES = ("/api/", "/webhooks/")


class BadInput(ValueError):
    """Refused input: ``field`` is the dotted path (None: the body as a whole), ``code`` the
    problem code the API shows."""

    def __init__(self, message: str, *, code: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message, self.code, self.field, self.status = message, code, field, status


def bad_char(value: str) -> str | None:
    """The first refused character of ``value`` as ``U+0000``, or None when it is clean."""
    match = BAD_CHARS.search(value)
    return None if match is None else f"U+{ord(match.group()):04X}"


def check_text(value: str, field: str | None) -> None:
    found = bad_char(value)
    if found is not None:
        raise BadInput(
            f"Contains a control character ({found}), which is not allowed.", code="control_character", field=field
        )


def loads(raw: bytes | str) -> Any:
    """``json.loads`` that refuses, as ``BadInput``, what the API must answer 400 to: invalid
    JSON, nesting deeper than ``MAX_JSON_DEPTH``, control characters in strings or keys."""
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise BadInput(f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted.", code="too_deep") from None
    except ValueError as exc:  # includes UnicodeDecodeError
        raise BadInput(f"The body is not valid JSON: {exc}", code="malformed_request") from None
    check_json(data)
    return data


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def check_json(data: Any) -> None:
    """Walk a decoded document without recursion (depth and strings), raising ``BadInput``."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            check_text(value, path or None)
        elif isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise BadInput(
                    f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted.",
                    code="too_deep",
                    field=path or None,
                )
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                sub = f"{path}.{key}" if path else str(key)
                if isinstance(key, str):
                    check_text(key, sub)
                stack.append((item, sub, depth + 1))


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIXES) or "json" in request.headers.get("Accept", "")


def problem(status: int, title: str, errors: list[dict]) -> HttpResponse:
    """A problem+json answer (RFC 9457) without DRF: for middleware and Django's error views."""
    body = {"type": "about:blank", "title": title, "status": status, "errors": errors}
    return HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)


def problem_for(exc: BadInput) -> HttpResponse:
    title = {413: "Request too large.", 404: "Not found.", 409: "Conflict with the current state."}.get(
        exc.status, "Invalid input."
    )
    return problem(exc.status, title, [{"field": exc.field, "code": exc.code, "message": exc.message}])
