"""Test-only URLs: a page that publishes an event, as a real request would."""

from django.db import transaction
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.http import require_POST

from oms import events
from tests.oms.api_views import NoteCreate


@require_POST
def publish_ping(request):
    with transaction.atomic():
        event = events.publish("oms.ping", {"tag": request.POST["tag"]})
    return JsonResponse({"event": event.pk}, status=201)


urlpatterns = [
    path("test/publish/", publish_ping),
    path("api/test/notes/", NoteCreate.as_view()),
    path("", include("oms.urls")),
]
