"""API plumbing shared by every app: problem+json errors (RFC 9457) and cursor pagination."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import OperationalError, connection
from django.http import Http404
from rest_framework import authentication, exceptions, pagination, parsers, serializers
from rest_framework.response import Response

from oms import input_guard
from oms.errors import OmsError, error_list
from oms.forms import MAX_YEAR, MIN_YEAR
from oms.roles import remember_roles
from oms.sql import execute_prepared, instance, model_columns

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

_DRF_CODES = {
    exceptions.ParseError: "malformed_request",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.Throttled: "throttled",
}


def problem_response(status: int, title: str, errors: list[dict[str, Any]], **headers: str) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "errors": errors}
    response = Response(body, status=status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def flatten_errors(detail: Any, path: str = "") -> list[dict[str, Any]]:
    """DRF's nested error detail as a flat list with dotted field paths (``lines.0.sku``)."""
    if isinstance(detail, dict):
        items: list[dict[str, Any]] = []
        for key, value in detail.items():
            sub = path if key in ("non_field_errors", "__all__") else (f"{path}.{key}" if path else str(key))
            items.extend(flatten_errors(value, sub))
        return items
    if isinstance(detail, list):
        if all(isinstance(item, (dict, list)) for item in detail):
            items = []
            for index, value in enumerate(detail):
                items.extend(flatten_errors(value, f"{path}.{index}" if path else str(index)))
            return items
        return [item for value in detail for item in flatten_errors(value, path)]
    code = getattr(detail, "code", None) or "invalid"
    return [{"field": path or None, "code": code, "message": str(detail)}]


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, OmsError):
        return problem_response(exc.status, type(exc).title, error_list(exc))
    if isinstance(exc, input_guard.BadInput):
        return problem_response(400, "Invalid input.", [{"field": exc.field, "code": exc.code, "message": exc.message}])
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        return problem_response(400, "Invalid input.", flatten_errors(exc.detail))
    if isinstance(exc, exceptions.APIException):
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), exc.default_code)
        headers = {}
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            headers["WWW-Authenticate"] = 'Token realm="api"'
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        message = str(exc.detail) if not isinstance(exc.detail, (dict, list)) else exc.default_detail
        return problem_response(
            exc.status_code,
            str(exc.default_detail),
            [{"field": None, "code": code, "message": str(message)}],
            **headers,
        )
    if isinstance(exc, OperationalError):
        logger.exception("database unavailable")
        return problem_response(
            503,
            "Service unavailable.",
            [{"field": None, "code": "unavailable", "message": "Try again shortly."}],
            Retry_After="5",
        )
    return None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser through ``oms.input_guard.loads``: too deep, a control character in a
    string or not JSON at all is a 400 with the field and the code, never a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        return input_guard.loads(stream.read() if stream is not None else b"")


class DateTimeField(serializers.DateTimeField):
    """A date-time in years ``oms.forms.MIN_YEAR``..``MAX_YEAR`` (9999-12-31 or 0001-01-01 would
    overflow the moment it is converted or a day is added): the API's side of the date range
    class of hostile input."""

    def to_internal_value(self, value):
        try:
            result = super().to_internal_value(value)
        except OverflowError:  # the conversion to the current time zone went past year 9999 or 1
            result = None
        if result is None or not MIN_YEAR <= result.year <= MAX_YEAR:
            self.fail("out_of_range", min=f"{MIN_YEAR}-01-01", max=f"{MAX_YEAR}-12-31")
        return result

    default_error_messages = {"out_of_range": "Enter a date between {min} and {max}."}


class CursorPagination(pagination.CursorPagination):
    """``{"results": [...], "next": url-or-null}``; stable at any table size (no COUNT)."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def get_paginated_response(self, data):
        return Response({"results": data, "next": self.get_next_link()})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {"results": schema, "next": {"type": "string", "nullable": True, "format": "uri"}},
        }


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, with the user's roles read in the same query: every API
    request checks a role, and the extra round trip for the groups was one in sixteen of an
    order placement (bench/order_intake.py). The SQL is written out (``oms.sql``): compiling
    the same lookup through the ORM cost more CPU than running it."""

    def authenticate_credentials(self, key):
        from django.contrib.auth import get_user_model
        from rest_framework.authtoken.models import Token

        user_model = get_user_model()
        users, memberships = user_model._meta.db_table, user_model.groups.through._meta.db_table
        with connection.cursor() as cursor:
            execute_prepared(
                cursor,
                "oms_read_token_user",
                f"SELECT {model_columns(user_model)}, ARRAY(SELECT g.name FROM {memberships} ug "
                f"JOIN auth_group g ON g.id = ug.group_id WHERE ug.user_id = {users}.id) "
                f"FROM authtoken_token t JOIN {users} ON {users}.id = t.user_id WHERE t.key = $1",
                [key],
            )
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        user = instance(user_model, row[:-1])
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        remember_roles(user, row[-1])
        return user, Token(key=key, user=user)
