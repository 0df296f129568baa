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
]
