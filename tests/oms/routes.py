from tests.routes import ANY, PUBLIC, Route

EXCEPTION_ROLES = ("customer_service", "warehouse", "purchasing", "accounting")


def _item():
    """An open item owned by the warehouse (other roles get 403 when they act on it)."""
    from django.utils import timezone

    from oms.models import ExceptionItem

    now = timezone.now()
    item = ExceptionItem.objects.create(
        rule="test.matrix", subject="x:1", title="x", role="warehouse", opened_at=now, last_seen_at=now
    )
    return {"item_id": item.pk}


def _lockout():
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.create(
        username="someone", ip_address="203.0.113.9", user_agent="x", failures_since_start=5, get_data="", post_data=""
    )
    return {"attempt_id": attempt.pk}


def _webhook_endpoint():
    from oms.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(url="https://203.0.113.5/hooks", secret="whsec_dGVzdA==")
    return {"endpoint_id": endpoint.pk}


def _webhook_delivery():
    from oms.models import OutboxEvent, WebhookDelivery

    kwargs = _webhook_endpoint()
    event = OutboxEvent.objects.create(name="order.placed", payload={"order_id": 1}, status="done")
    delivery = WebhookDelivery.objects.create(endpoint_id=kwargs["endpoint_id"], event=event, status="failed")
    return {**kwargs, "delivery_id": delivery.pk}


ROUTES = [
    Route("lockouts", ()),
    Route("lockout_release", (), kwargs=_lockout, method="post"),
    Route("home", ANY),
    Route("search", ANY),
    Route("dashboard_panel", ("customer_service",), kwargs=lambda: {"key": "orders.today"}),
    Route("health", PUBLIC),
    Route("oms:exceptions", EXCEPTION_ROLES),
    Route("oms:exceptions_refresh", EXCEPTION_ROLES, method="post"),
    Route("oms:exception_resolve", ("warehouse",), kwargs=_item, method="post"),
    Route("oms:exception_retry", ("warehouse",), kwargs=_item, method="post"),
    Route("api:event-feed", ("accounting", "api_client"), api=True),
    Route("webhooks:list", ()),
    Route("webhooks:new", ()),
    Route("webhooks:detail", (), kwargs=_webhook_endpoint),
    Route("webhooks:toggle", (), kwargs=_webhook_endpoint, method="post"),
    Route("webhooks:delete", (), kwargs=_webhook_endpoint, method="post"),
    Route("webhooks:replay_failed", (), kwargs=_webhook_endpoint, method="post"),
    Route("webhooks:replay", (), kwargs=_webhook_delivery, method="post"),
    Route("api:webhook-endpoint-list", ("api_client",), api=True),
    Route("api:webhook-endpoint-detail", ("api_client",), kwargs=_webhook_endpoint, api=True),
    Route("api:webhook-delivery-list", ("api_client",), kwargs=_webhook_endpoint, api=True),
    Route("api:webhook-delivery-replay", ("api_client",), kwargs=_webhook_delivery, method="post", api=True),
    Route("api:webhook-replay-failed", ("api_client",), kwargs=_webhook_endpoint, method="post", api=True),
]
