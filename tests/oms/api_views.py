"""A small test-only API: it creates "notes" (outbox events) so the plumbing can be tested
without any business app."""

from django.db import transaction
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from oms import events
from oms.errors import Conflict
from oms.idempotency import idempotent


class LineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=20)
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=100)
    lines = LineSerializer(many=True, required=False)


class NoteCreate(APIView):
    @idempotent
    def post(self, request):
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["text"] == "conflict":
            raise Conflict("That note clashes.", code="note_clash", field="text")
        with transaction.atomic():
            event = events.publish("test.note", {"text": data.validated_data["text"]})
        return Response({"id": event.pk, "text": data.validated_data["text"]}, status=201)
