"""Machine-called endpoints of billing, mounted at /webhooks/ (no login, see oms.middleware)."""

from django.urls import path

from billing.views import webhooks

app_name = "billing_webhooks"

urlpatterns = [
    path("payments/<slug:provider>/", webhooks.payment_webhook, name="payment"),
]
