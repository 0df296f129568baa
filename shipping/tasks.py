"""Celery entry points of shipping: thin, ids in, one service call each, safe to run twice.

- ``shipment_hand_off``: one try to hand a shipment to its carrier. The attempt counter and the
  back-off live in the database (``shipping.services.handoff``); this task only schedules the
  next try with the countdown the service asks for. In eager mode (no broker) it does not wait:
  the next try comes from the sweep or the *Retry* button.
- ``shipment_notice_send``: one e-mail to the customer, once; retried with back-off on SMTP errors.
- ``fulfilment_sweep`` (beat, every minute): queue hand-offs and e-mails whose task was lost.
- ``pick_list_pdf_render``, ``trip_manifest_render``: render and store a pick list's PDF or a
  trip's manifest, so that the link serves a file instead of rendering while the warehouse waits.
- ``tracking_poll`` (beat, every half hour): ask polling carriers (PostNL) for news.
- ``return_label_create``: one try at a customer's return label; like the hand-off, the next try
  is scheduled here with the countdown the service asks for (the sweep takes longer waits).
"""

from __future__ import annotations

from celery import shared_task

MAX_TRIES = 50  # a safety net only: the database bounds the hand-off tries
# A longer countdown would outlive the broker's visibility timeout (and be delivered twice):
# such a try is left to the sweep, which reads the due time from the database.
MAX_COUNTDOWN = 90  # settings.OMS_TASK_MAX_COUNTDOWN (oms.celery caps every countdown there)


@shared_task(name="shipping.tasks.shipment_hand_off", bind=True, acks_late=True, ignore_result=True,
             max_retries=MAX_TRIES)  # fmt: skip
def shipment_hand_off(self, shipment_id: int) -> str:
    from shipping.services import handoff

    result = handoff.shipment_hand_off(shipment_id=shipment_id)
    if result.retry_in is not None and result.retry_in <= MAX_COUNTDOWN and not self.request.is_eager:
        raise self.retry(countdown=result.retry_in, max_retries=MAX_TRIES)
    return result.outcome


@shared_task(name="shipping.tasks.shipment_notice_send", bind=True, acks_late=True, ignore_result=True, max_retries=5)
def shipment_notice_send(self, notice_id: int) -> str:
    from shipping.services import notices

    try:
        return notices.notice_send(notice_id=notice_id)
    except Exception as exc:
        if self.request.retries < self.max_retries and not self.request.is_eager:
            raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 900)) from exc
        raise


@shared_task(name="shipping.tasks.fulfilment_sweep", ignore_result=True)
def fulfilment_sweep() -> dict:
    from oms import deliver_once
    from shipping.services import handoff, notices, return_labels

    return {
        "hand_offs": handoff.hand_offs_sweep(),
        "notices": notices.notices_sweep(),
        "return_labels": deliver_once.sweep(return_labels.RETURN_LABEL),
    }


@shared_task(name="shipping.tasks.tracking_poll", ignore_result=True, acks_late=True)
def tracking_poll() -> dict:
    from shipping.services import tracking_poll as poll

    return poll.tracking_poll()


@shared_task(name="shipping.tasks.return_label_create", bind=True, acks_late=True, ignore_result=True,
             max_retries=MAX_TRIES)  # fmt: skip
def return_label_create(self, return_id: int) -> str:
    from shipping.services import return_labels

    result = return_labels.return_label_create(return_id=int(return_id))
    if result.retry_in is not None and result.retry_in <= MAX_COUNTDOWN and not self.request.is_eager:
        raise self.retry(countdown=result.retry_in, max_retries=MAX_TRIES)
    return result.outcome


@shared_task(name="shipping.tasks.pick_list_pdf_render", acks_late=True, ignore_result=True)
def pick_list_pdf_render(pick_list_id: int) -> bool:
    from shipping.services import picking

    return picking.pick_list_pdf_render(pick_list_id=pick_list_id)


@shared_task(name="shipping.tasks.trip_manifest_render", acks_late=True, ignore_result=True)
def trip_manifest_render(trip_id: int) -> bool:
    from shipping.services import trips

    return trips.trip_manifest_render(trip_id=trip_id)
