"""Batch pick lists: the warehouse selects orders from its pick queue and walks the shelves once,
in SKU order, for all of them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from oms.errors import Conflict, OmsError, ValidationFailed
from orders import selectors as orders_selectors
from orders import services as order_services
from orders.models import OrderStatus
from shipping.models import PICK_LIST_NUMBER_SEQUENCE, PickList, PickListLine
from shipping.services import stored_pdf
from shipping.services._common import acting, next_number

MAX_ORDERS = 200  # one walk; more is a second list
PDF_TASK = "shipping.tasks.pick_list_pdf_render"


@dataclass
class PickListResult:
    pick_list: PickList
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (order number, why)


def pick_list_create(*, warehouse_id: int, order_ids: Iterable[int], user, now=None) -> PickListResult:
    """A pick list of what is reserved in ``warehouse_id`` for the chosen orders; each order
    moves to ``picking`` (orders' ``order_start_picking``). An order that cannot be picked any
    more (cancelled or put on hold meanwhile, nothing reserved here) is left out and named in
    ``skipped``; the others go ahead.

    Durable. Locks the orders one by one in id order (orders locks no stock for this).
    Publishes ``order.picking_started`` per order (orders). Raises ``ValidationFailed`` (no
    orders, too many) and ``Conflict`` ``nothing_to_pick`` when no order is left.
    """
    ids = sorted({int(i) for i in order_ids})
    if not ids:
        raise ValidationFailed("Select the orders to pick.", code="required", field="orders")
    if len(ids) > MAX_ORDERS:
        raise ValidationFailed(f"At most {MAX_ORDERS} orders on one pick list.", code="too_many", field="orders")
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        orders = orders_selectors.orders_by_ids(ids)
        reserved = _reserved_here(ids, warehouse_id)
        started, skipped = [], []
        for order_id in ids:
            order = orders.get(order_id)
            why = _why_not(order, reserved)
            if why:
                skipped.append((order.number if order else str(order_id), why))
                continue
            try:
                with transaction.atomic():
                    if order.status != OrderStatus.PICKING:
                        order_services.order_start_picking(order=order, user=user, now=now)
            except OmsError as exc:
                skipped.append((order.number, exc.message))
                continue
            started.append(order_id)
        if not started:
            reasons = "; ".join(f"{number}: {why}" for number, why in skipped)
            raise Conflict(f"None of these orders can be picked ({reasons}).", code="nothing_to_pick")
        pick_list = _create(warehouse_id, {i: reserved[i] for i in started}, user, now)
        stored_pdf.pdf_queue_on_commit(PDF_TASK, pick_list_id=pick_list.pk)
    return PickListResult(pick_list, skipped)


def _reserved_here(order_ids: list[int], warehouse_id: int) -> dict[int, dict[int, tuple]]:
    """order id -> order line id -> (line, units reserved here)."""
    found: dict[int, dict[int, tuple]] = defaultdict(dict)
    for allocation in orders_selectors.reserved_allocations(order_ids=order_ids, warehouse_id=warehouse_id):
        line = allocation.order_line
        _, quantity = found[line.order_id].get(line.pk, (line, 0))
        found[line.order_id][line.pk] = (line, quantity + allocation.quantity)
    return found


def _why_not(order, reserved: dict) -> str:
    if order is None:
        return "no such order"
    if order.pk not in reserved:
        return "nothing reserved in this warehouse"
    return ""


def _create(warehouse_id: int, reserved: dict[int, dict[int, tuple]], user, now) -> PickList:
    pick_list = PickList.objects.create(
        number=next_number(PICK_LIST_NUMBER_SEQUENCE, "PL"),
        warehouse_id=warehouse_id,
        created_by=acting(user),
        created_at=now,
    )
    PickListLine.objects.bulk_create(
        PickListLine(
            pick_list=pick_list,
            order_id=order_id,
            order_line=line,
            product_id=line.product_id,
            sku=line.sku,
            name=line.name,
            quantity=quantity,
        )
        for order_id, lines in reserved.items()
        for line, quantity in lines.values()
    )
    return pick_list


def pick_list_pdf_render(*, pick_list_id: int) -> bool:
    """Render the pick list's PDF with WeasyPrint and store it with the stamp of what it shows
    (``selectors.pick_list_pdf_stamp``; ``stored_pdf.pdf_store``). True when this call stored a
    PDF; False when the stored one still agrees with the pick list, or a concurrent run stored
    first. Publishes no event. Raises ``NotFound`` for an unknown pick list."""
    from shipping import documents
    from shipping.selectors import fulfilment as selectors

    pick_list = selectors.pick_list_get(pick_list_id)
    return stored_pdf.pdf_store(
        pick_list,
        stamp=selectors.pick_list_pdf_stamp(pick_list),
        render=lambda: documents.pick_list_pdf(
            pick_list, selectors.pick_rows(pick_list), selectors.pick_list_notes(pick_list)
        ),
    )
