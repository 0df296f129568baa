"""``/api/v1/webhook-endpoints/`` (API.md 1.1 "Webhooks", scope ``webhooks:write``; staff: a
manager): the endpoints that receive our events, their delivery log and replay."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from oms import webhooks
from oms.api import api_access, cursor_page
from oms.api_clients import Scope
from oms.idempotency import idempotent
from oms.models import WebhookDeliveryStatus
from oms.roles import Role

WEBHOOK_ACCESS = api_access(Scope.WEBHOOKS_WRITE, roles=(Role.MANAGER,))


class EndpointInSerializer(serializers.Serializer):
    url = serializers.CharField(
        max_length=500, allow_blank=True, help_text="https://...; loopback only when the server allows it"
    )
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=80),
        required=False,
        max_length=100,
        help_text="Event types wanted (the README's catalogue); empty or left out: every type",
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False, default=True)


class EndpointPatchSerializer(EndpointInSerializer):
    enabled = serializers.BooleanField(required=False)


class EndpointOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    description = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    enabled = serializers.BooleanField()
    disabled_reason = serializers.CharField(help_text='"manual", "failing" (disabled after failing) or empty')
    failing_since = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class EndpointCreatedSerializer(EndpointOutSerializer):
    secret = serializers.CharField(help_text="whsec_...: shown only in this answer")


class AttemptSerializer(serializers.Serializer):
    attempted_at = serializers.DateTimeField()
    succeeded = serializers.BooleanField()
    status_code = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.IntegerField()
    response_excerpt = serializers.CharField()
    error = serializers.CharField()


class DeliveryOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.CharField(help_text="The event id: the webhook-id header")
    event_type = serializers.CharField()
    status = serializers.ChoiceField(choices=WebhookDeliveryStatus.values)
    attempts = serializers.IntegerField(help_text="Failed attempts since the last (re)start")
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    attempt_log = AttemptSerializer(many=True)


def endpoint_representation(endpoint) -> dict:
    return EndpointOutSerializer(endpoint).data


def deliveries_representation(rows) -> list[dict]:
    log = webhooks.attempts_by_delivery([row.pk for row in rows])
    return [
        {
            "id": row.pk,
            "event_id": str(row.event_id),
            "event_type": row.event.name,
            "status": row.status,
            "attempts": row.attempts,
            "next_attempt_at": _time(row.next_attempt_at),
            "last_status_code": row.last_status_code,
            "last_error": row.last_error,
            "created_at": _time(row.created_at),
            "delivered_at": _time(row.delivered_at),
            "attempt_log": AttemptSerializer(log[row.pk], many=True).data,
        }
        for row in rows
    ]


def _time(value):
    return timezone.localtime(value).isoformat() if value else None


def _valid(serializer_class, request, **kwargs) -> dict:
    data = serializer_class(data=request.data, **kwargs)
    data.is_valid(raise_exception=True)
    return data.validated_data


class WebhookEndpointList(APIView):
    """The webhook endpoints, newest first; ``POST`` adds one and answers its secret (only then)."""

    permission_classes = [WEBHOOK_ACCESS]

    @extend_schema(responses={200: EndpointOutSerializer(many=True)})
    def get(self, request):
        return cursor_page(
            self, request, webhooks.endpoint_list(), lambda page: [endpoint_representation(e) for e in page]
        )

    @extend_schema(request=EndpointInSerializer, responses={201: EndpointCreatedSerializer})
    @idempotent
    def post(self, request):
        endpoint, secret = webhooks.endpoint_create(**_valid(EndpointInSerializer, request), user=request.user)
        return Response({**endpoint_representation(endpoint), "secret": secret}, status=201)


class WebhookEndpointDetail(APIView):
    """One endpoint: read, change (``PATCH``: any of ``url``, ``event_types``, ``description``,
    ``enabled``), delete (with its delivery log)."""

    permission_classes = [WEBHOOK_ACCESS]

    @extend_schema(responses={200: EndpointOutSerializer})
    def get(self, request, endpoint_id: int):
        return Response(endpoint_representation(webhooks.endpoint_get(endpoint_id)))

    @extend_schema(request=EndpointPatchSerializer, responses={200: EndpointOutSerializer})
    def patch(self, request, endpoint_id: int):
        changes = _valid(EndpointPatchSerializer, request, partial=True)
        endpoint = webhooks.endpoint_update(endpoint_id=endpoint_id, **changes)
        return Response(endpoint_representation(endpoint))

    @extend_schema(responses={204: None})
    def delete(self, request, endpoint_id: int):
        webhooks.endpoint_delete(endpoint_id=endpoint_id)
        return Response(status=204)


class WebhookDeliveryList(APIView):
    """The endpoint's deliveries, newest first, each with its attempts (status code, latency,
    the start of the answer, the error); ``status`` filters."""

    permission_classes = [WEBHOOK_ACCESS]

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=WebhookDeliveryStatus.values)],
        responses={200: DeliveryOutSerializer(many=True)},
    )
    def get(self, request, endpoint_id: int):
        endpoint = webhooks.endpoint_get(endpoint_id)
        rows = webhooks.deliveries(endpoint.pk, request.query_params.get("status", ""))
        return cursor_page(self, request, rows, deliveries_representation)


class WebhookDeliveryReplay(APIView):
    """Send one delivery again now, with a fresh retry schedule (the same ``webhook-id``)."""

    permission_classes = [WEBHOOK_ACCESS]

    @extend_schema(request=None, responses={202: DeliveryOutSerializer})
    def post(self, request, endpoint_id: int, delivery_id: int):
        delivery = webhooks.replay(delivery_id=delivery_id, endpoint_id=webhooks.endpoint_get(endpoint_id).pk)
        return Response(deliveries_representation([delivery])[0], status=202)


REPLAYED = inline_serializer("ReplayFailed", {"replayed": serializers.IntegerField()})


class WebhookReplayFailed(APIView):
    """Send every delivery of the endpoint that failed for good again."""

    permission_classes = [WEBHOOK_ACCESS]

    @extend_schema(
        request=None, responses={202: inline_serializer("ReplayFailed", {"replayed": serializers.IntegerField()})}
    )
    def post(self, request, endpoint_id: int):
        return Response({"replayed": webhooks.replay_failed(endpoint_id=endpoint_id)}, status=202)
