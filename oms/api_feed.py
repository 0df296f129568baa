"""``GET /api/v1/events/`` (API.md 1.1 "Event feed", scope ``events:read``): the outbox as a
feed that an ERP pulls with a cursor (``oms.feed`` says why following it never skips an event)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from oms import feed
from oms.api import api_access
from oms.api_clients import Scope
from oms.errors import ValidationFailed
from oms.numbers import plain_int
from oms.roles import Role

FEED_ACCESS = api_access(Scope.EVENTS_READ, roles=(Role.ACCOUNTING,))


event_types = feed.event_types


def _types(raw: str) -> list[str]:
    types = [t.strip() for t in raw.split(",") if t.strip()]
    unknown = sorted(set(types) - set(event_types()))
    if unknown:
        raise ValidationFailed(
            f"Unknown event type(s): {', '.join(unknown)}.", code="unknown_event_type", field="types"
        )
    return types


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return feed.DEFAULT_LIMIT
    limit = plain_int(raw)
    if limit is None:
        raise ValidationFailed(f"limit is 1 to {feed.MAX_LIMIT}.", code="invalid", field="limit")
    return limit


event_representation = feed.event_body


FEED_SCHEMA = inline_serializer(
    "EventFeedPage",
    {
        "results": serializers.ListField(child=serializers.DictField()),
        "next_cursor": serializers.CharField(allow_null=True),
        "next": serializers.CharField(allow_null=True),
    },
)


class EventFeed(APIView):
    """Events oldest first after the cursor ``after`` (omitted: the oldest retained event),
    optionally only ``types`` (comma separated). ``next_cursor`` is where to continue (also when
    the page is empty: poll again with it); ``next`` is the URL of the next page while the page
    came back full, else null. Following ``next_cursor`` never skips a committed event."""

    permission_classes = [FEED_ACCESS]

    @extend_schema(
        parameters=[
            OpenApiParameter("after", OpenApiTypes.STR, description="The cursor of the last event read"),
            OpenApiParameter("types", OpenApiTypes.STR, description="Comma-separated event types, e.g. order.placed"),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"1 to {feed.MAX_LIMIT}, default 100"),
        ],
        responses={200: FEED_SCHEMA},
    )
    def get(self, request):
        types = _types(request.query_params.get("types", ""))
        page = feed.feed_page(
            after=request.query_params.get("after") or None,
            types=types,
            limit=_limit(request.query_params.get("limit")),
        )
        next_url = None
        if page.full and page.next_cursor:
            query = {"after": page.next_cursor, **({"types": ",".join(types)} if types else {})}
            if request.query_params.get("limit"):
                query["limit"] = request.query_params["limit"]
            next_url = request.build_absolute_uri(f"{reverse('api:event-feed')}?{urlencode(query)}")
        return Response(
            {
                "results": [event_representation(event) for event in page.events],
                "next_cursor": page.next_cursor,
                "next": next_url,
            }
        )
