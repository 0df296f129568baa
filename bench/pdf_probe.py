"""A task only bench/order_screens.py loads into the worker it starts (``celery worker -I
pdf_probe``): render a pick list as the pick screen's PDF link does, in the worker, and leave how
long it took (wall clock and CPU) in Redis for the bench to read."""

from __future__ import annotations

import time

from celery import shared_task


@shared_task(name="pdf_probe.pick_list_pdf_time")
def pick_list_pdf_time(pick_list_id: int, key: str) -> None:
    import redis
    from django.conf import settings

    from shipping import documents
    from shipping.selectors import fulfilment

    started, started_cpu = time.perf_counter(), time.process_time()
    pick_list = fulfilment.pick_list_get(pick_list_id)
    notes = [(order.number, order.notes) for order in fulfilment.pick_list_orders(pick_list) if order.notes]
    data = documents.pick_list_pdf(pick_list, fulfilment.pick_rows(pick_list), notes)
    seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    redis.Redis.from_url(settings.REDIS_URL).set(key, f"{seconds:.4f} {cpu:.4f} {len(data)}", ex=600)
