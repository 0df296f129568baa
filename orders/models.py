"""Sales orders, their lines, the allocations that tie lines to stock, and the timeline (layer 2).

The database keeps the order invariants (ARCHITECTURE "Invariants the database itself keeps"):

- per line ``quantity_allocated + quantity_backordered = quantity`` and
  ``quantity_shipped <= quantity_allocated`` (CHECKs). ``quantity_allocated`` counts every unit
  that holds stock: reserved or already shipped. A line that is not reserved at all (a draft)
  is wholly "backordered" in this sense. Cancelling an order or removing a line keeps the
  quantities as they were (history) and sets ``is_cancelled``; what matters then is that no
  allocation of it is still ``reserved`` (an invariant check, ``orders.invariants``);
- an order's ``gross = net + shipping + vat`` (CHECK); external references are unique per
  channel (a partial unique index), and the status is one of ``OrderStatus`` (CHECK);
- order numbers ``SO-000001`` come from a PostgreSQL sequence through a SQL function that is
  the column's database default (migration 0001), so the number costs no extra round trip.

Only the transition services in ``orders.services`` change ``status`` (STYLE.md §6).
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, PaymentMethod
from inventory.models import Product, StockLevel, Warehouse
from oms import audit
from oms.i18n import render
from oms.models import VatCategory
from oms.money import money_field

NUMBER_SEQUENCE = "orders_order_number"
NUMBER_FUNCTION = "orders_next_number"


class Channel(models.TextChoices):
    WEB = "web", _("Webshop")
    PHONE = "phone", _("Phone")
    STORE = "store", _("Store")
    B2B = "b2b", _("B2B")


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ON_HOLD = "on_hold", _("On hold")
    ALLOCATED = "allocated", _("Allocated")
    BACKORDERED = "backordered", _("Backordered")
    PICKING = "picking", _("Picking")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


S = OrderStatus
# The whole order life cycle in one place: from -> the statuses it may move to.
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.ALLOCATED, S.BACKORDERED, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.ALLOCATED, S.BACKORDERED, S.CANCELLED}),
    S.ALLOCATED: frozenset({S.BACKORDERED, S.ON_HOLD, S.PICKING, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}),
    S.BACKORDERED: frozenset({S.ALLOCATED, S.ON_HOLD, S.PICKING, S.PARTIALLY_SHIPPED, S.CANCELLED}),
    S.PICKING: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}),
    S.PARTIALLY_SHIPPED: frozenset({S.PICKING, S.SHIPPED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}
# Placed and still waiting for something: the statuses in which lines may hold or wait for stock.
OPEN_STATUSES = frozenset({S.ON_HOLD, S.ALLOCATED, S.BACKORDERED, S.PICKING, S.PARTIALLY_SHIPPED})
# Lines of orders in these statuses get stock when it arrives (oldest order first).
WAITING_STATUSES = frozenset({S.ON_HOLD, S.BACKORDERED, S.PICKING, S.PARTIALLY_SHIPPED})
# Lines may be changed (re-reserved) until the warehouse starts picking.
CHANGEABLE_STATUSES = frozenset({S.ON_HOLD, S.ALLOCATED, S.BACKORDERED})
# Not yet handed to a carrier: promised dates still matter ("late" orders).
UNSHIPPED_STATUSES = frozenset({S.ON_HOLD, S.ALLOCATED, S.BACKORDERED, S.PICKING, S.PARTIALLY_SHIPPED})


# Paid before the warehouse starts (issue 15): an order paid by one of these methods enters the
# pick queue only once its payment is in (for Klarna and Riverty: once the provider has
# authorised it, which billing records as the provider's payment). PIN and cash are paid at
# hand-over (the counter), bank transfer and on account after delivery, on the invoice.
PAID_BEFORE_PICKING = frozenset({PaymentMethod.IDEAL, PaymentMethod.CARD, PaymentMethod.KLARNA, PaymentMethod.RIVERTY})
# The orders that wait for their payment before the warehouse may pick them (a queryset filter).
AWAITING_PAYMENT = Q(payment_method__in=PAID_BEFORE_PICKING, gross_amount__gt=0, amount_paid__lt=F("gross_amount"))


class BackorderPolicy(models.TextChoices):
    ALLOW = "allow", _("Reserve what is in stock, backorder the rest")
    REJECT = "reject", _("Place nothing unless every line is in stock")


class VatRegime(models.TextChoices):
    DOMESTIC = "domestic", _("Dutch VAT")
    REVERSE_CHARGE = "reverse_charge", _("Reverse charge (btw verlegd)")
    EXPORT = "export", _("Export outside the EU (0%)")
    OSS = "oss", _("VAT of the consumer's EU country (OSS)")


class NextOrderNumber(Func):
    """``orders_next_number()``: ``SO-000001`` from the sequence (SQL function, migration 0001)."""

    function = NUMBER_FUNCTION
    template = "%(function)s()"
    output_field = models.CharField()


@audit.track(
    pghistory.UpdateEvent(),
    fields=[
        "status",
        "customer",
        "payment_method",
        "billing_address",
        "shipping_address",
        "ship_complete",
        "gross_amount",
        "amount_paid",
        "notes",
    ],
    model_name="OrderChange",  # "OrderEvent" is the timeline
)
class Order(models.Model):
    number = models.CharField(max_length=20, unique=True, db_default=NextOrderNumber(), editable=False)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", db_index=False)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    billing_address = models.JSONField(default=dict, blank=True)
    shipping_address = models.JSONField(default=dict, blank=True)
    payment_method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    ship_complete = models.BooleanField(default=False, help_text="Ship only when every line is in stock")
    vat_regime = models.CharField(max_length=20, choices=VatRegime.choices, default=VatRegime.DOMESTIC)
    # Consumer orders are priced incl. VAT (orders.pricing): line prices and totals are gross.
    prices_include_vat = models.BooleanField(default=False, db_default=False)
    currency = models.CharField(max_length=3, default="EUR")
    net_amount = money_field(default=0, help_text="The goods excluding VAT")
    shipping_amount = money_field(default=0, help_text="Shipping charge excluding VAT")
    shipping_vat_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    vat_amount = money_field(default=0)
    gross_amount = money_field(default=0)
    amount_paid = money_field(default=0, help_text="Kept up to date by billing")
    supply_date = models.DateField(null=True, blank=True, help_text="Tax point: VAT rates of this date")
    promised_delivery_date = models.DateField(null=True, blank=True, help_text="Everything has arrived")
    first_delivery_date = models.DateField(null=True, blank=True, help_text="The first parcel arrives")
    carrier_code = models.CharField(max_length=30, blank=True)
    service_code = models.CharField(max_length=30, blank=True)
    # The customer chose the service (delivery options): kept when the order is quoted again.
    # Empty/False: the cheapest service that delivers, picked anew on each quote.
    shipping_method_chosen = models.BooleanField(default=False, db_default=False)
    shipping_method_name = models.CharField(max_length=200, blank=True, default="", db_default="")
    # The chosen pick-up point as the pick-up points API returned it (id, carrier, name, address).
    pickup_point = models.JSONField(default=dict, blank=True, db_default=models.Value({}, models.JSONField()))
    external_reference = models.CharField(max_length=100, null=True, blank=True)
    # The provider's checkout link the customer pays with (billing's payment links set it).
    payment_url = models.CharField(max_length=500, blank=True, default="", db_default="")
    payment_url_expires_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    # The customer's status link is signed with this; raising it revokes every link sent so far.
    status_link_version = models.PositiveIntegerField(default=0, db_default=0)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    placed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        permissions = [("change_line_price", "Can give a line a discount or another price")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="order_status_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="order_channel_valid"),
            models.CheckConstraint(
                condition=Q(payment_method__in=PaymentMethod.values), name="order_payment_method_valid"
            ),
            models.CheckConstraint(condition=Q(vat_regime__in=VatRegime.values), name="order_vat_regime_valid"),
            models.CheckConstraint(condition=Q(currency="EUR"), name="order_currency_eur"),
            models.CheckConstraint(
                condition=Q(net_amount__gte=0, shipping_amount__gte=0, vat_amount__gte=0),
                name="order_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(gross_amount=F("net_amount") + F("shipping_amount") + F("vat_amount")),
                name="order_gross_adds_up",
            ),
            models.CheckConstraint(condition=~Q(external_reference=""), name="order_external_reference_not_empty"),
            models.UniqueConstraint(
                fields=["channel", "external_reference"],
                condition=Q(external_reference__isnull=False),
                name="order_external_reference_once_per_channel",
            ),
        ]
        indexes = [
            # The order list at 1M orders: every filter walks an index newest first (id desc),
            # so a page is LIMIT 51 off an index, never a sort of the table.
            models.Index(fields=["status", "-id"], name="order_status_idx"),
            models.Index(fields=["channel", "-id"], name="order_channel_idx"),
            # Its included columns (the list's sort keys and the status) let a search by customer
            # read the page's ids from this index alone (orders.selectors.order_list_page). The
            # timestamp comes first: after the two bigints it needs no alignment padding.
            models.Index(
                fields=["customer", "-id"],
                name="order_customer_idx",
                include=["created_at", "gross_amount", "status", "number"],
            ),
            # An API client's own orders (API.md 1.1: a bound client sees only what it placed).
            models.Index(fields=["entered_by", "-id"], name="order_entered_by_idx"),
            # The order list sorted by date or by total, and paged by keyset (value, id).
            models.Index(fields=["created_at", "id"], name="order_created_id_idx"),
            models.Index(fields=["gross_amount", "id"], name="order_gross_idx"),
            models.Index(fields=["updated_at", "id"], name="order_updated_idx"),
            models.Index(KT("shipping_address__postal_code"), name="order_ship_postcode_idx"),
            # "Late": promised date passed and not shipped; a small partial index.
            models.Index(
                fields=["promised_delivery_date"],
                name="order_late_idx",
                condition=Q(status__in=sorted(UNSHIPPED_STATUSES)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.status})"

    @property
    def status_url(self) -> str:
        """The customer's own page of this order (absolute, signed; ``orders.status_links``)."""
        from orders import status_links

        return status_links.status_url(self)

    def can_transition_to(self, status: str) -> bool:
        return status in ORDER_TRANSITIONS.get(self.status, frozenset())

    @property
    def is_draft(self) -> bool:
        return self.status == OrderStatus.DRAFT

    @property
    def lines_changeable(self) -> bool:
        return self.status in CHANGEABLE_STATUSES

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_late(self) -> bool:
        """Past its promised delivery date and not yet with a carrier."""
        return (
            self.status in UNSHIPPED_STATUSES
            and self.promised_delivery_date is not None
            and self.promised_delivery_date < timezone.localdate()
        )

    @property
    def amount_due(self):
        return self.gross_amount - self.amount_paid

    @property
    def awaits_payment(self) -> bool:
        """Paid before picking (``PAID_BEFORE_PICKING``) and not yet paid in full."""
        return (
            self.payment_method in PAID_BEFORE_PICKING
            and self.gross_amount > 0
            and self.amount_paid < self.gross_amount
            and self.status not in (OrderStatus.DRAFT, OrderStatus.CANCELLED)
        )

    @property
    def shipping_method(self) -> str:
        """The service as the API names it (``<carrier>:<service>``), or "" (a store order)."""
        return f"{self.carrier_code}:{self.service_code}" if self.carrier_code else ""

    @property
    def pickup_point_text(self) -> str:
        """The pick-up point in one line: "Primera Oudegracht, Oudegracht 12, 3511 AB Utrecht"."""
        point = self.pickup_point or {}
        if not point:
            return ""
        street = " ".join(filter(None, (point.get("street", ""), point.get("house_number", ""))))
        town = " ".join(filter(None, (point.get("postal_code", ""), point.get("city", ""))))
        return ", ".join(filter(None, (point.get("name", ""), street, town)))

    @property
    def current_payment_url(self) -> str:
        """The link to pay with: while the order awaits payment and the link has not expired."""
        if not self.payment_url or not self.awaits_payment:
            return ""
        if self.payment_url_expires_at and self.payment_url_expires_at <= timezone.now():
            return ""
        return self.payment_url


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", db_index=False)
    line_no = models.PositiveSmallIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    # Snapshots taken when the line is entered: the catalogue may change, the order does not.
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    vat_category = models.CharField(max_length=10, choices=VatCategory.choices)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    unit_price = money_field(help_text="EUR excluding VAT, or including it when the order's prices include VAT")
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    quantity = models.PositiveIntegerField()
    quantity_allocated = models.PositiveIntegerField(default=0, help_text="Reserved or shipped")
    quantity_backordered = models.PositiveIntegerField(default=0, help_text="Waiting for stock")
    quantity_shipped = models.PositiveIntegerField(default=0)
    quantity_returned = models.PositiveIntegerField(default=0)
    line_total = money_field(help_text="quantity x unit price less discount, to cents (the order's price basis)")
    is_cancelled = models.BooleanField(default=False)
    # Why the price is not the list price (a discount or a price override given by hand); it goes
    # onto the invoice line with the product's name.
    price_reason = models.CharField(max_length=200, blank=True, default="", db_default="")
    # When this line's last unit is promised to arrive: the delivery quote's date for the line at
    # placement, moved when the receipt its backordered units wait for moves
    # (``orders.services.promises``).
    promised_delivery_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["order", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="order_line_no_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quantity=F("quantity_allocated") + F("quantity_backordered")),
                name="order_line_allocated_plus_backordered",
            ),
            models.CheckConstraint(
                condition=Q(quantity_shipped__lte=F("quantity_allocated")), name="order_line_shipped_within_allocated"
            ),
            models.CheckConstraint(
                condition=Q(quantity_returned__lte=F("quantity_shipped")), name="order_line_returned_within_shipped"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100), name="order_line_discount_range"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0, line_total__gte=0), name="order_line_amounts_not_negative"
            ),
        ]
        indexes = [
            # Backorders waiting for a product: a small partial index (most lines never wait).
            models.Index(
                fields=["product", "order"],
                name="order_line_waiting_idx",
                condition=Q(quantity_backordered__gt=0, is_cancelled=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_no} {self.quantity} x {self.sku}"

    @property
    def quantity_open(self) -> int:
        """Still to ship (reserved now or waiting for stock)."""
        return 0 if self.is_cancelled else self.quantity - self.quantity_shipped

    @property
    def quantity_reserved(self) -> int:
        """Reserved in a warehouse and not yet shipped."""
        return 0 if self.is_cancelled else self.quantity_allocated - self.quantity_shipped


class AllocationStatus(models.TextChoices):
    RESERVED = "reserved", _("Reserved")
    ISSUED = "issued", _("Shipped")
    RELEASED = "released", _("Released")


class Allocation(models.Model):
    """Units of one order line held in one stock level. The sum of the ``reserved`` allocations
    of a stock level equals its ``reserved`` counter (an invariant check). A partial shipment or
    release splits an allocation, so each row has one status and its history stays readable."""

    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="allocations")
    # One database key over both columns instead of one each (migration 0005): the stock level
    # exists and its warehouse is this warehouse, checked on a row the reservation has locked
    # already, where the warehouse's own key locked the one warehouse row every order shares.
    stock_level = models.ForeignKey(
        StockLevel, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=AllocationStatus.choices, default=AllocationStatus.RESERVED)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="allocation_quantity_positive"),
            models.CheckConstraint(condition=Q(status__in=AllocationStatus.values), name="allocation_status_valid"),
        ]
        indexes = [
            models.Index(fields=["stock_level"], name="allocation_reserved_idx", condition=Q(status="reserved")),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.order_line_id} at level {self.stock_level_id} ({self.status})"


class OrderEventKind(models.TextChoices):
    CREATED = "created", _("Draft started")
    PLACED = "placed", _("Placed")
    ALLOCATED = "allocated", _("Allocated")
    BACKORDERED = "backordered", _("Backordered")
    HELD = "held", pgettext_lazy("order event", "Put on hold")
    HOLD_RELEASED = "hold_released", _("Hold released")
    LINES_CHANGED = "lines_changed", _("Lines changed")
    STOCK_ALLOCATED = "stock_allocated", _("Backorder allocated")
    PICKING = "picking", _("Picking started")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    PAYMENT = "payment", _("Payment")
    COMPLETED = "completed", _("Completed")
    RETURNED = "returned", _("Returned")
    CANCELLED = "cancelled", _("Cancelled")
    NOTE = "note", _("Note")
    PROMISE_MOVED = "promise_moved", _("Delivery date moved")


class OrderEvent(models.Model):
    """The order's timeline: who did what, when (append-only by convention; services write it)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(max_length=20, choices=OrderEventKind.choices)
    message = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["order", "id"], name="order_event_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}: {self.message}"

    @property
    def display_message(self) -> str:
        """The message in the reader's language: from its pieces (``oms.i18n.part``) or its msgid
        and params when the service stored them, else the stored text's own translation (the fixed
        messages such as "Picking started." are in the catalogue), else the text as stored."""
        spec = (self.data or {}).get("message_parts") if isinstance(self.data, dict) else None
        if spec:
            try:
                return render(spec)
            except (KeyError, TypeError, ValueError):
                return self.message
        msgid = (self.data or {}).get("message_id") if isinstance(self.data, dict) else None
        if msgid:
            try:
                return gettext(msgid) % self.data.get("message_params", {})
            except (KeyError, TypeError, ValueError):
                return self.message
        return gettext(self.message) if self.message else ""


class DailyChannelStats(models.Model):
    """Orders and revenue per channel per day (by ``created_at``, local date; drafts and
    cancelled orders left out): the summary behind the manager's revenue chart, so the chart
    reads 30 x 4 rows instead of a month of orders. ``orders.services.daily_stats_refresh``
    recomputes a window of days from the orders (a periodic task), writing a row for every
    channel of every day, zeros included, so a missing row means "not computed yet"."""

    day = models.DateField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    orders = models.PositiveIntegerField(default=0)
    revenue = money_field(default=0, help_text="Net + shipping, excluding VAT")
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "channel"], name="daily_channel_stats_once")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel}: {self.orders} orders, {self.revenue}"
