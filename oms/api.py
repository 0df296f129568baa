"""API plumbing shared by every app: problem+json errors (RFC 9457), cursor pagination, token
authentication and the scope and role checks of each endpoint (``api_access``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import OperationalError, connection
from django.db.models import CharField, Q, Value
from django.http import Http404
from rest_framework import authentication, exceptions, pagination, parsers, serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from oms import input_guard, reference_cache
from oms.api_clients import Scope, api_client_mark_used, token_hash
from oms.errors import InsufficientScope, OmsError, error_list
from oms.forms import MAX_YEAR, MIN_YEAR
from oms.models import ApiClient
from oms.roles import has_role, remember_roles
from oms.sql import execute_prepared

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
    string or not JSON at all is a 400 with the field and the code, never a 500. A body that
    ``json_body`` read already (the Idempotency-Key's fingerprint) is not parsed again."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        request = (parser_context or {}).get("request")
        parsed = getattr(getattr(request, "_request", None), "_oms_json_body", None)
        if parsed is not None and parsed[0] == raw:
            return parsed[1]
        return input_guard.loads(raw)


def json_body(http_request) -> Any:
    """``input_guard.loads`` of a Django request's body (raises ``BadInput`` as it does), kept on
    the request so that the API's parser hands the view the same document without a second
    parse and check. Read-only for the caller: the view gets this very object."""
    raw = http_request.body or b""
    data = input_guard.loads(raw)
    http_request._oms_json_body = (raw, data)
    return data


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


class UpdatedSinceFilter(serializers.Serializer):
    updated_since = DateTimeField(required=False)


def updated_since(request) -> datetime | None:
    """The ``updated_since`` query parameter of the ERP lists, bounded as every API date is
    (a bad one is a 400 with the field), or None."""
    filters = UpdatedSinceFilter(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return filters.validated_data.get("updated_since")


def cursor_page(view, request, queryset, represent) -> Response:
    """One cursor page of ``queryset``, each row through ``represent``."""
    paginator = CursorPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(represent(page))


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <token>``: an API client's token (``oms.api_clients``), read with
    its user in one indexed query by the token's hash; ``request.user`` is the client's user and
    ``request.auth`` the ``ApiClient``, whose scopes decide (``api_access``). Failing that, a
    staff user's own DRF token (``drf_create_token``), which acts with the user's roles (read
    in the same query as the user).

    ``keep_known``: for order placement, see ``_known_credentials``."""

    def __init__(self, *, keep_known: bool = False) -> None:
        super().__init__()
        self.keep_known = keep_known

    def authenticate_credentials(self, key):
        if self.keep_known:
            return _known_credentials(key)
        client = _client_by_token(key)
        if client is None:
            return _staff_token_user(key)
        return _client_credentials(client)


def _client_credentials(client: ApiClient) -> tuple:
    _refuse_if_invalid(client)
    remember_roles(client.user, ())  # a client acts by its scopes, never by roles
    api_client_mark_used(client)
    return client.user, client


def _client_by_token(key: str) -> ApiClient | None:
    """The client of a token, with its user, in one indexed query (by the token's hash). Written
    out rather than ``select_related``: on every API request, compiling the ORM query cost more
    CPU than running it. Public ground only (a cursor, ``Model.from_db``, ``oms.sql``);
    tests/oms/test_api_clients.py holds the result to the ORM's."""
    sql, client_names, user_names = _client_read()
    with connection.cursor() as cursor:
        # prepared once per connection: planning the join cost the server more than running it
        execute_prepared(cursor, "oms_read_api_client_by_token", sql, [token_hash(key)])
        row = cursor.fetchone()
    if row is None:
        return None
    return _client_from(row[: len(client_names)], row[len(client_names) :])


def _refuse_if_invalid(client: ApiClient) -> None:
    if client.revoked_at is not None:
        raise exceptions.AuthenticationFailed("This token was revoked.")
    if not client.user.is_active:
        raise exceptions.AuthenticationFailed("User inactive or deleted.")


def _client_from(client_values, user_values) -> ApiClient:
    _, client_names, user_names = _client_read()
    client = ApiClient.from_db(connection.alias, client_names, client_values)
    client.user = get_user_model().from_db(connection.alias, user_names, user_values)
    return client


@cache
def _client_read() -> tuple[str, list[str], list[str]]:
    user_model = get_user_model()
    client_fields = [f for f in ApiClient._meta.get_fields() if f.concrete and not f.many_to_many]
    user_fields = [f for f in user_model._meta.get_fields() if f.concrete and not f.many_to_many]
    columns = [f"c.{f.column}" for f in client_fields] + [f"u.{f.column}" for f in user_fields]
    sql = (
        f"SELECT {', '.join(columns)} FROM {ApiClient._meta.db_table} c "
        f"JOIN {user_model._meta.db_table} u ON u.id = c.user_id WHERE c.token_hash = $1"
    )
    return sql, [f.attname for f in client_fields], [f.attname for f in user_fields]


# --- clients kept per process, for order placement -------------------------------------------------


@dataclass(frozen=True)
class _Known:
    """A client as read from the database: its and its user's column values (``_client_read``'s
    order), and the stamps of their two tables that the values were read under."""

    client: tuple
    user: tuple
    stamps: tuple


_known: dict[str, _Known] = {}  # token hash -> the client as last read by this process
MAX_KNOWN = 1024  # clients; a process that met more starts over


def _known_credentials(key: str) -> tuple:
    """``TokenAuthentication(keep_known=True)``, for order placement, the one request that comes
    often enough for the token's read to count: an API client this process has read before is
    not read again.

    Its requests are answered only after ``confirm_client``: the view calls it in the
    transaction that writes (where the reference stamps come with the first read, so it costs no
    round trip unless the client or user tables changed since the client was read) and before any
    other answer (then it reads the token). The client and user tables are stamped
    (``oms.reference_cache``) on every change, however it is made, so a revoked token, a user
    made inactive or rights changed by hand are all noticed. Staff tokens are read every time.
    """
    digest = token_hash(key)
    known = _known.get(digest)
    fresh = known is None
    if fresh:
        known = _read_known(digest)
        if known is None:
            return _staff_token_user(key)
    client = _client_from(*_copied(known))
    if not fresh:
        client.oms_unconfirmed = known
    credentials = _client_credentials(client)  # a revoked token or inactive user raises: not kept
    if fresh or client.last_used_at != known.client[_last_used_index()]:
        # with the use just recorded, which changes no stamp (the trigger leaves the column out)
        _remember(digest, _with_last_use(known, client.last_used_at))
    return credentials


def confirm_client(request, stamps: Mapping[str, int] | None = None) -> None:
    """Confirm the client of a request that ``TokenAuthentication(keep_known=True)`` answered from this
    process's memory; a no-op for any other request, and after the first call.

    ``stamps``: the reference stamps as the caller's transaction read them
    (``oms.reference_cache.current_stamps``); when the client's and user's tables have the
    stamps the client was read under, nothing changed. Otherwise (or without ``stamps``) the
    token is read again. Raises ``AuthenticationFailed`` (401, nothing written: call it before
    the transaction commits) when the token is unknown or revoked now, the user inactive, or
    the client's user, scopes or channel changed while the request ran (only possible by hand:
    no screen edits a client; a retry runs with the new rights)."""
    client = request_client(request)
    known = client.__dict__.pop("oms_unconfirmed", None) if client is not None else None
    if known is None:
        return
    if stamps is not None and _stamps_of(stamps) == known.stamps:
        return
    _known.pop(client.token_hash, None)
    fresh = _read_known(client.token_hash)
    if fresh is None:
        raise exceptions.AuthenticationFailed("Invalid token.")
    again = _client_from(fresh.client, fresh.user)
    _refuse_if_invalid(again)
    if _rights(again) != _rights(client):
        raise exceptions.AuthenticationFailed("This client's rights changed while the request ran; send it again.")
    _remember(client.token_hash, fresh)


def refusal_confirmed(request, exc: Exception | None) -> Exception | None:
    """``exc``, or the ``AuthenticationFailed`` that ``confirm_client`` raises: for a view's
    ``handle_exception`` and ``finalize_response``, so that no answer (a refusal may name data)
    goes to a token that is no longer valid."""
    try:
        confirm_client(request)
    except (exceptions.AuthenticationFailed, OperationalError) as failed:
        return failed  # the database gone since: 503, not the refusal unconfirmed
    return exc


def _rights(client: ApiClient) -> tuple:
    return client.user_id, tuple(client.scopes), client.channel


def _stamps_of(stamps: Mapping[str, int]) -> tuple:
    return tuple(stamps.get(table) for table in _stamped_tables())


@cache
def _stamped_tables() -> tuple[str, str]:
    return ApiClient._meta.db_table, get_user_model()._meta.db_table


def _read_known(digest: str) -> _Known | None:
    """The client of a token hash with the stamps it is read under, in one query."""
    with connection.cursor() as cursor:
        execute_prepared(cursor, "oms_read_api_client_by_token_stamped", _stamped_read(), [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    split, end = len(_client_read()[1]), len(row) - len(_stamped_tables())
    return _Known(tuple(row[:split]), tuple(row[split:end]), tuple(row[end:]))


@cache
def _stamped_read() -> str:
    """``_client_read``'s statement with the client and user tables' stamps as its last columns."""
    stamps = ", ".join(reference_cache.stamp_column(table) for table in _stamped_tables())
    return _client_read()[0].replace(" FROM ", f", {stamps} FROM ", 1)


@cache
def _last_used_index() -> int:
    return _client_read()[1].index("last_used_at")


def _with_last_use(known: _Known, when) -> _Known:
    values = list(known.client)
    values[_last_used_index()] = when
    return replace(known, client=tuple(values))


def _copied(known: _Known) -> tuple[list, list]:
    # every request gets lists of its own (the scopes): nobody changes them, but nobody can
    return [list(v) if isinstance(v, list) else v for v in known.client], list(known.user)


def _remember(digest: str, known: _Known) -> None:
    if len(_known) >= MAX_KNOWN:
        _known.clear()
    _known[digest] = known


def _staff_token_user(key: str):
    from rest_framework.authtoken.models import Token

    roles = ArrayAgg(
        "groups__name",
        filter=Q(groups__isnull=False),
        default=Value([], output_field=ArrayField(CharField())),
    )
    try:
        user = get_user_model().objects.annotate(oms_role_names=roles).get(auth_token__key=key)
    except ObjectDoesNotExist:
        raise exceptions.AuthenticationFailed("Invalid token.") from None
    if not user.is_active:
        raise exceptions.AuthenticationFailed("User inactive or deleted.")
    remember_roles(user, user.oms_role_names)
    return user, Token(key=key, user=user)


# --- who may do what ------------------------------------------------------------------------------


def request_client(request) -> ApiClient | None:
    """The API client making the request, or None (a staff token or session)."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiClient) else None


def api_access(*scopes: str, roles: tuple[str, ...]) -> type[BasePermission]:
    """DRF permission class for an endpoint: an API client needs one of ``scopes`` (none given:
    any client), else 403 ``insufficient_scope``; a staff token or session needs one of
    ``roles`` (``manager`` passes), else 403 ``permission_denied``."""

    class ApiAccess(BasePermission):
        message = "Your role may not use this endpoint."
        required_scopes = tuple(scopes)
        allowed = tuple(roles)

        def has_permission(self, request, view) -> bool:
            user = request.user
            if not (user and user.is_authenticated):
                return False
            client = request_client(request)
            if client is None:
                return has_role(user, *self.allowed)
            if not self.required_scopes or client.has_scope(*self.required_scopes):
                return True
            raise InsufficientScope(self.required_scopes)

    ApiAccess.__name__ = f"ApiAccess_{'_'.join(scopes) or 'any_client'}"
    return ApiAccess


def require_scope(request, *scopes: str, field: str | None = None) -> None:
    """Inside a view: a client without one of ``scopes`` is refused (403 ``insufficient_scope``,
    on ``field``); staff are not asked (their roles let them into the view)."""
    client = request_client(request)
    if client is not None and not client.has_scope(*scopes):
        raise InsufficientScope(scopes, field=field)


def order_owner(request, *scopes_for_all: str) -> int | None:
    """Whose orders the caller may see: None for every order, else the id of the user that
    placed them (the client's own user: two webshops on one channel are two users). Staff see
    every order; a client bound to a channel only its own; an unbound client every order if it
    holds one of ``scopes_for_all`` (none given: always), else its own."""
    client = request_client(request)
    if client is None:
        return None
    if not client.channel and (not scopes_for_all or client.has_scope(*scopes_for_all)):
        return None
    return client.user_id


def may_change_others_orders(request) -> bool:
    """Staff, and an unbound client with ``all``, may cancel (or pay) orders they did not place."""
    client = request_client(request)
    return client is None or (not client.channel and Scope.ALL in client.scopes)
