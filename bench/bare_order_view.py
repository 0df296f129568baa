"""The reference for the order API's speed: the bare 13-query Django order view of
research/performance-anchors.md §3, rebuilt here so that bench/order_intake.py measures it in the
same run, on the same machine, as our own API (the anchors measured it once, on another day).

A Django project in one module, as ``startproject`` makes it (the full default middleware stack,
``DEBUG = False``, persistent connections), with unmanaged models over the raw-SQL ceiling's tables
(``perf_stock``, ``perf_orders``, ``perf_order_line``) and the anchors' view: one price read, ten
conditional stock decrements in id order, one order insert, one bulk line insert, in one
transaction. No customer, VAT, allocation, timeline, outbox, audit, idempotency or API token:
the bare minimum an order entry does. Served by gunicorn::

    DATABASE_URL=postgres://... gunicorn bare_order_view:application --pythonpath bench
    wrk -t2 -c4 -d15s --latency -s bench/bare_order_wrk.lua http://127.0.0.1:8000/
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlparse

import django
from django.conf import settings

_url = urlparse(os.environ["DATABASE_URL"])
settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only-not-secret",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.staticfiles",
    ],
    MIDDLEWARE=[
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ],
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _url.path.lstrip("/"),
            "USER": _url.username or "postgres",
            "PASSWORD": _url.password or "",
            "HOST": _url.hostname or "127.0.0.1",
            "PORT": str(_url.port or 5432),
            "CONN_MAX_AGE": 600,
        }
    },
    USE_TZ=True,
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import models, transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402


class Stock(models.Model):  # noqa: DJ008 (the anchors' model, as they wrote it)
    id = models.IntegerField(primary_key=True)
    warehouse_id = models.IntegerField()
    product_id = models.IntegerField()
    qty = models.IntegerField()
    price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        app_label = "bench"
        managed = False
        db_table = "perf_stock"


class Order(models.Model):  # noqa: DJ008
    customer_id = models.IntegerField()
    warehouse_id = models.IntegerField()
    status = models.SmallIntegerField()
    created_at = models.DateTimeField()
    total = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        app_label = "bench"
        managed = False
        db_table = "perf_orders"


class OrderLine(models.Model):  # noqa: DJ008
    order = models.ForeignKey(Order, models.DO_NOTHING, db_column="order_id")
    line_no = models.SmallIntegerField()
    stock = models.ForeignKey(Stock, models.DO_NOTHING, db_column="stock_id")
    qty = models.IntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        app_label = "bench"
        managed = False
        db_table = "perf_order_line"


class OutOfStock(Exception):
    pass


def health(request):
    return HttpResponse("ok")


@csrf_exempt
def create_order(request):
    """body {"customer": int, "lines": [[stock_id, qty], ...]}: 13 queries in one transaction."""
    body = json.loads(request.body)
    lines = sorted((int(s), int(q)) for s, q in body["lines"])
    try:
        with transaction.atomic():
            prices = dict(Stock.objects.filter(id__in=[s for s, _ in lines]).values_list("id", "price"))
            for stock_id, qty in lines:
                if Stock.objects.filter(pk=stock_id, qty__gte=qty).update(qty=F("qty") - qty) != 1:
                    raise OutOfStock(stock_id)
            amounts = [prices[s] * q for s, q in lines]
            order = Order.objects.create(
                customer_id=body["customer"],
                warehouse_id=1,
                status=0,
                created_at=timezone.now(),
                total=sum(amounts),
            )
            OrderLine.objects.bulk_create(
                [
                    OrderLine(order=order, line_no=n, stock_id=s, qty=q, unit_price=prices[s], amount=a)
                    for n, ((s, q), a) in enumerate(zip(lines, amounts, strict=True), 1)
                ]
            )
    except OutOfStock as exc:
        return JsonResponse({"error": "out of stock", "stock_id": exc.args[0]}, status=409)
    return JsonResponse({"order": order.id, "total": str(order.total)}, status=201)


urlpatterns = [path("health/", health), path("order", create_order)]
application = get_wsgi_application()
