from django.urls import path

from oms import api_feed

urlpatterns = [
    path("events/", api_feed.EventFeed.as_view(), name="event-feed"),
]
