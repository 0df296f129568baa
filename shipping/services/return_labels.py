"""Return labels: a customer who asks for a return on their order page gets a label to print,
made by the carrier of the order's parcel when its adapter offers returns
(``CarrierAdapter.supports_returns``; ``create_return_label``).

- ``return_label_plan`` runs in the registering transaction: it picks the carrier (the parcel the
  goods came in: the return's shipment, else the order's latest that left) and either writes the
  label's delivery (``oms.deliver_once`` kind ``shipping.return_label``, queued after commit) or
  marks the return ``unsupported``, when the page tells the customer where to send the parcel;
- ``return_label_create`` is one try, run by a worker (``shipping.tasks.return_label_create``):
  it claims the delivery, asks the carrier outside any transaction with the return's own key
  (the same on every try: Sendcloud finds the parcel by its external reference, PostNL the
  barcode kept for the key, the generic protocol gets the ``Idempotency-Key`` header), stores
  the PDF on the return and queues the customer's e-mail with the download link. A try that fails
  retries with the delivery's back-off; a refusal, or the last try, leaves the return ``failed``
  (the page then gives the address instead) and the delivery in the exception inbox, whose
  *Retry* starts again.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils.translation import gettext_noop

from oms import deliver_once, notify
from oms.roles import Role
from shipping.adapters import CarrierError, ParcelRequest
from shipping.carriers import adapter_for
from shipping.models import SHIPPED_STATUSES, Return, ReturnLabelStatus, Shipment

logger = logging.getLogger(__name__)

RETURN_LABEL = deliver_once.register(
    deliver_once.Kind(
        code="shipping.return_label",
        task="shipping.tasks.return_label_create",
        label="Return label",
        max_attempts=lambda: settings.OMS_CARRIER_HANDOFF_ATTEMPTS,
        claim_timeout=timedelta(minutes=5),
        first_retry_seconds=lambda: settings.OMS_CARRIER_RETRY_SECONDS,
        max_retry_seconds=3600.0,
        sweep_grace=timedelta(seconds=60),
        role=Role.CUSTOMER_SERVICE,
        inbox_label=gettext_noop("Return labels not made"),
    )
).code
LABEL_EMAIL = "return_label"  # the customer's e-mail with the label (oms.notify)


def return_label_plan(ret: Return) -> None:
    """Choose the carrier of ``ret``'s label and request it, or record that there is none.
    Runs in the caller's (registering) transaction; no I/O (building an adapter calls nothing)."""
    shipment = ret.shipment or (
        Shipment.objects.filter(order_id=ret.order_id, status__in=SHIPPED_STATUSES)
        .select_related("carrier")
        .order_by("-id")
        .first()
    )
    carrier = shipment.carrier if shipment is not None else None
    if carrier is not None and adapter_for(carrier).supports_returns:
        ret.label_status, ret.label_carrier = ReturnLabelStatus.REQUESTED, carrier
        if ret.shipment_id is None:
            ret.shipment = shipment
        deliver_once.deliver(RETURN_LABEL, ret.pk)
    else:
        ret.label_status, ret.label_carrier = ReturnLabelStatus.UNSUPPORTED, carrier
    ret.save(update_fields=["label_status", "label_carrier", "shipment"])


def label_key(ret: Return) -> str:
    """The return's idempotency key at the carrier: a UUID (as a hand-off's, which the carrier
    bookings store), the same on every try because it is derived from the return."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"oms:return-label:{ret.pk}:{ret.number}"))


def return_parcel_request(ret: Return) -> ParcelRequest:
    """The parcel the customer sends back: from the order's delivery address to the warehouse
    the goods left from (else the seller's address)."""
    order, customer = ret.order, ret.customer
    home = {**(order.shipping_address or {}), "name": customer.name, "email": customer.email}
    warehouse = ret.shipment.warehouse if ret.shipment_id else None
    seller = settings.OMS_SELLER
    if warehouse is not None and warehouse.street:
        to = {
            "name": f"{seller.get('name', '')} ({warehouse.code})",
            "street": warehouse.street,
            "house_number": warehouse.house_number,
            "postal_code": warehouse.postal_code,
            "city": warehouse.city,
            "country": warehouse.country,
        }
    else:
        street, _, number = seller.get("street", "").rpartition(" ")
        to = {"name": seller.get("name", ""), "street": street, "house_number": number,
              "postal_code": seller.get("postal_code", ""), "city": seller.get("city", ""),
              "country": seller.get("country", "NL")}  # fmt: skip
    lines = list(ret.lines.all())
    return ParcelRequest(
        reference=ret.number,
        order=order.number,
        carrier_name=ret.label_carrier.name if ret.label_carrier_id else "",
        service_code=ret.shipment.service.code if ret.shipment_id and ret.shipment.service_id else "return",
        idempotency_key=label_key(ret),
        sender=home,
        recipient=to,
        parcel_count=1,
        weight_grams=sum(line.quantity * (line.product.weight_grams or 0) for line in lines),
        lines=[{"sku": line.sku, "quantity": line.quantity} for line in lines],
    )


@dataclass(frozen=True)
class LabelResult:
    outcome: str  # "ready", "retry", "failed" or "skipped" (nothing to do, or another try runs)
    retry_in: float | None = None  # seconds until the next try, for "retry" (the task schedules it)


SKIPPED = LabelResult("skipped")


def return_label_create(*, return_id: int, adapter=None) -> LabelResult:
    """One try at ``ret``'s return label (module docstring); the result says what happened and,
    for a retry, when the next try is due.

    Must run outside any transaction (it talks to the carrier). Locks nothing while doing so;
    the closing UPDATE is conditional on the return still waiting for its label and on the claim.
    Publishes nothing; queues the customer's e-mail. Never raises for a carrier failure.
    """
    if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        raise RuntimeError("return_label_create talks to a carrier: call it outside a transaction")
    claim = deliver_once.claim(RETURN_LABEL, return_id, due_only=True)
    if claim is None:
        return SKIPPED
    ret = (
        Return.objects.select_related("order", "customer", "label_carrier", "shipment__warehouse", "shipment__service")
        .prefetch_related("lines__product")
        .filter(pk=return_id)
        .first()
    )
    if ret is None or ret.label_status != ReturnLabelStatus.REQUESTED or ret.label_carrier_id is None:
        deliver_once.succeed(claim, {"skipped": True})
        return SKIPPED
    try:
        label = (adapter or adapter_for(ret.label_carrier)).create_return_label(return_parcel_request(ret))
    except CarrierError as exc:
        return _failed(ret, claim, exc.message, final=not exc.retryable)
    except Exception as exc:  # a bug must not leave the claim behind
        logger.exception("shipping: return label of %s failed unexpectedly", ret.number)
        return _failed(ret, claim, f"{type(exc).__name__}: {exc}", final=False)
    name = default_storage.save(f"shipping/return_labels/{ret.number}.pdf", ContentFile(label.pdf))
    with transaction.atomic(durable=True):
        done = Return.objects.filter(pk=ret.pk, label_status=ReturnLabelStatus.REQUESTED).update(
            label_status=ReturnLabelStatus.READY,
            label_file=name,
            label_tracking_number=label.tracking_number[:60],
            label_error="",
        )
        if not (done and deliver_once.succeed(claim, {"tracking_number": label.tracking_number})):
            transaction.set_rollback(True)
        else:
            _queue_email(ret)
    if not done:
        default_storage.delete(name)
        return SKIPPED
    return LabelResult("ready")


def _failed(ret: Return, claim, message: str, *, final: bool) -> LabelResult:
    with transaction.atomic(durable=True):
        failure = deliver_once.fail(claim, message, final=final)
        if failure.recorded:
            status = ReturnLabelStatus.FAILED if failure.final else ReturnLabelStatus.REQUESTED
            Return.objects.filter(pk=ret.pk, label_status=ReturnLabelStatus.REQUESTED).update(
                label_status=status, label_error=message[:300]
            )
    logger.warning("shipping: return label of %s, try %s: %s", ret.number, claim.attempts, message)
    if not failure.recorded:
        return SKIPPED
    return LabelResult("failed") if failure.final else LabelResult("retry", retry_in=failure.retry_in)


def return_label_retry(*, return_id: int) -> bool:
    """Staff's *Retry* for a label that could not be made: ask again (a fresh set of tries)."""
    with transaction.atomic():
        moved = Return.objects.filter(pk=return_id, label_status=ReturnLabelStatus.FAILED).update(
            label_status=ReturnLabelStatus.REQUESTED, label_error=""
        )
        return bool(moved) and deliver_once.retry(RETURN_LABEL, return_id)


def _queue_email(ret: Return) -> None:
    notify.notification_queue(
        kind=LABEL_EMAIL,
        key=f"{LABEL_EMAIL}:{ret.pk}",
        to_email=ret.customer.email,
        language=ret.customer.language,
        order_id=ret.order_id,
        customer_id=ret.customer_id,
        context={"return_id": ret.pk},
    )


def render_label_email(notification) -> tuple[str, str]:
    """The customer's e-mail with the return label's download link (on their order page)."""
    from django.urls import reverse

    from orders.status_links import order_token

    ret = Return.objects.select_related("order", "customer").get(pk=notification.context["return_id"])
    path = reverse("status:return_label", kwargs={"token": order_token(ret.order), "number": ret.number})
    context = {
        "ret": ret,
        "order": ret.order,
        "customer": ret.customer,
        "lines": list(ret.lines.all()),
        "label_url": settings.OMS_SITE_URL.rstrip("/") + path,
        "seller": settings.OMS_SELLER,
    }
    return notify.render_text("shipping/email/return_label", notification.language, context)
