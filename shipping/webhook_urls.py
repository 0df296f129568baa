"""``/webhooks/carriers/<code>/``: carriers' tracking updates (see ``shipping.views.webhooks``)."""

from django.urls import path

from shipping.views import webhooks

app_name = "carrier_webhooks"

urlpatterns = [path("<slug:code>/", webhooks.carrier_webhook, name="carrier")]
