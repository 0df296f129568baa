from django.urls import path

from oms import api_feed, api_webhooks

urlpatterns = [
    path("events/", api_feed.EventFeed.as_view(), name="event-feed"),
    path("webhook-endpoints/", api_webhooks.WebhookEndpointList.as_view(), name="webhook-endpoint-list"),
    path(
        "webhook-endpoints/<int:endpoint_id>/",
        api_webhooks.WebhookEndpointDetail.as_view(),
        name="webhook-endpoint-detail",
    ),
    path(
        "webhook-endpoints/<int:endpoint_id>/deliveries/",
        api_webhooks.WebhookDeliveryList.as_view(),
        name="webhook-delivery-list",
    ),
    path(
        "webhook-endpoints/<int:endpoint_id>/deliveries/<int:delivery_id>/replay/",
        api_webhooks.WebhookDeliveryReplay.as_view(),
        name="webhook-delivery-replay",
    ),
    path(
        "webhook-endpoints/<int:endpoint_id>/replay-failed/",
        api_webhooks.WebhookReplayFailed.as_view(),
        name="webhook-replay-failed",
    ),
]
