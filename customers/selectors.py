"""Reads of customers and addresses for views, the API and other apps (no N+1)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Case, DecimalField, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from pghistory.models import Events

from customers.models import Address, Customer, CustomerIban
from customers.search import MIN_TERM_LENGTH, is_searchable, search_terms
from oms.errors import NotFound
from oms.money import format_eur
from oms.sql import cache_related, cached_related, execute_prepared, instance, model_columns, select_models

SEARCH_CANDIDATES = 500
_DEFAULTS = Prefetch("addresses", queryset=Address.objects.filter(is_default=True), to_attr="default_addresses")


def customer_get(pk: int) -> Customer:
    customer = Customer.objects.filter(pk=pk).first()
    if customer is None:
        raise NotFound(f"No customer with id {pk}.", field="customer")
    return customer


def customer_get_by_number(number: str) -> Customer:
    # Hand-written SQL: order intake looks a customer up on every API order (oms.sql).
    found = select_models(Customer, "oms_read_customer_by_number", "number = $1", [(number or "").strip().upper()])
    customer = found[0] if found else None
    if customer is None:
        raise NotFound(f"No customer with number '{number}'.", field="number")
    return customer


def customer_with_addresses_by_number(number: str) -> Customer:
    """As ``customer_get_by_number``, with ``customer.addresses.all()`` filled from the same
    query (one round trip: order intake asks for both on every API order)."""
    width = len(Customer._meta.concrete_fields)
    sql = (
        f"SELECT {model_columns(Customer)}, {model_columns(Address)} FROM customers_customer "
        "LEFT JOIN customers_address ON customers_address.customer_id = customers_customer.id "
        "WHERE customers_customer.number = $1 "
        "ORDER BY customers_address.kind, customers_address.is_default DESC, customers_address.id"
    )
    with connection.cursor() as cursor:
        execute_prepared(cursor, "oms_read_customer_with_addresses", sql, [(number or "").strip().upper()])
        rows = cursor.fetchall()
    if not rows:
        raise NotFound(f"No customer with number '{number}'.", field="number")
    customer = instance(Customer, rows[0][:width])
    cache_related(customer, "addresses", [instance(Address, row[width:]) for row in rows if row[width] is not None])
    return customer


def addresses_of(customer: Customer) -> list[Address]:
    """The customer's addresses: the ones read with it if they were, else ``customer_addresses``."""
    cached = cached_related(customer, "addresses")
    return cached if cached is not None else customer_addresses(customer.pk)


def customer_get_with_addresses(number: str) -> Customer:
    """As ``customer_get_by_number``, with ``customer.addresses.all()`` prefetched (two queries)."""
    number = (number or "").strip().upper()
    customer = Customer.objects.filter(number=number).prefetch_related("addresses").first()
    if customer is None:
        raise NotFound(f"No customer with number '{number}'.", field="number")
    return customer


def customer_find_by_email(email: str) -> Customer | None:
    """The customer with this e-mail address, in any letter case (an index look-up)."""
    email = (email or "").strip().lower()
    if not email:
        return None
    return Customer.objects.alias(email_ci=Lower("email")).filter(email_ci=email).first()


def _matching(queryset: QuerySet, query: str) -> QuerySet:
    for term in search_terms(query):
        queryset = queryset.filter(search_document__contains=term)
    return queryset


def customer_ids_matching(query: str, *, limit: int = 200) -> list[int]:
    """Ids of at most ``limit`` customers matching ``query`` (as ``customer_search``), for other
    apps' searches by customer; ``[]`` when no word is long enough for the trigram index. One query."""
    if not is_searchable(search_terms(query or "")):
        return []
    return list(_matching(Customer.objects.order_by(), query).values_list("id", flat=True)[:limit])


def customer_search(query: str, *, limit: int = 20) -> list[Customer]:
    """Customers whose name, company, e-mail, phone, postcode, VAT id, KvK or number contain
    every word of ``query``; an exact number or e-mail first, then by name (of the first
    ``SEARCH_CANDIDATES`` matches).

    Each customer carries ``default_addresses`` (its default billing and shipping address).
    Two queries (one when nothing matches). Returns ``[]`` without a query when no word of it
    has ``MIN_TERM_LENGTH`` characters, because such a search cannot use the trigram index.
    """
    query = (query or "").strip()
    if not is_searchable(search_terms(query)):
        return []
    exact = Case(
        When(Q(number=query.upper()) | Q(email=query.lower()), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    # Sorting every match of a common word ("jan": 4% of all customers) by name costs more than
    # the search itself, so only the first SEARCH_CANDIDATES matches are sorted; an agent who
    # sees a full page types one more word.
    candidates = _matching(Customer.objects.order_by(), query).values("id")[:SEARCH_CANDIDATES]
    rows = Customer.objects.filter(id__in=candidates).annotate(exact=exact).order_by("exact", "name", "id")
    return list(rows.prefetch_related(_DEFAULTS)[:limit])


def customer_list(*, search: str = "") -> QuerySet[Customer]:
    """Every customer (newest first) or those matching ``search``; for pagination by the caller.
    Rows carry ``default_addresses``."""
    return _matching(Customer.objects.order_by("-id"), search).prefetch_related(_DEFAULTS)


def customer_list_with_addresses(*, search: str = "") -> QuerySet[Customer]:
    """As ``customer_list``, with every address prefetched (``customer.addresses.all()``)."""
    return _matching(Customer.objects.order_by("-id"), search).prefetch_related("addresses")


def customer_default_address(customer_id: int, kind: str) -> Address | None:
    """The default billing or shipping address, or None (no fallback to the other kind)."""
    return Address.objects.filter(customer_id=customer_id, kind=kind, is_default=True).first()


def customer_addresses(customer_id: int) -> list[Address]:
    """Billing then shipping, the default of each first (hand-written SQL: order intake, oms.sql)."""
    return select_models(
        Address, "oms_read_customer_addresses", "customer_id = $1", [customer_id], order_by="kind, is_default DESC, id"
    )


def customers_by_ids(ids: Iterable[int]) -> dict[int, Customer]:
    return Customer.objects.in_bulk(list(set(ids)))


def customer_ids_by_external_ref(refs: Iterable[str]) -> dict[str, int]:
    """``{"uci:12346": 17, ...}`` for the references that exist (demo replay, ERP imports)."""
    rows = Customer.objects.filter(external_ref__in=list(set(refs))).values_list("external_ref", "id")
    return dict(rows)


def customer_by_external_ref(ref: str) -> Customer | None:
    """The customer with this external reference, or None (one query)."""
    return Customer.objects.filter(external_ref=ref).first()


# --- audit history ----------------------------------------------------------------------------


@dataclass
class HistoryEntry:
    at: datetime
    who: str
    what: str
    subject: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    reason: str = ""


HIDDEN_FIELDS = {"id", "created_at", "customer", "customer_id", "search_document", "updated_at"}


def customer_history(customer: Customer, *, limit: int = 50) -> list[HistoryEntry]:
    """What changed on the customer and its addresses, newest first, and who changed it.

    Only the customers app's own audit tables are read: other apps' rows that point at the
    customer (orders, invoices) have their own timelines. Two queries.
    """
    events = list(
        Events.objects.across("customers.CustomerEvent", "customers.AddressEvent")
        .references(customer)
        .order_by("-pgh_created_at", "-pgh_id")[:limit]
    )
    names = _usernames({(e.pgh_context or {}).get("user") for e in events} - {None})
    return [_entry(event, names) for event in events]


def _usernames(ids: set) -> dict:
    if not ids:
        return {}
    User = get_user_model()
    return dict(User.objects.filter(pk__in=ids).values_list("pk", User.USERNAME_FIELD))


def _entry(event, names: dict) -> HistoryEntry:
    context = event.pgh_context or {}
    is_address = event.pgh_model.endswith("AddressEvent")
    data = event.pgh_data or {}
    if is_address:
        subject = f"{data.get('kind', '')} address {data.get('postal_code', '')}".strip()
    else:
        subject = "customer"
    model = Address if is_address else Customer
    diff = event.pgh_diff or {}
    changes = [
        (_label(model, name), _shown(model, name, old), _shown(model, name, new))
        for name, (old, new) in sorted(diff.items())
        if name not in HIDDEN_FIELDS
    ]
    return HistoryEntry(
        at=event.pgh_created_at,
        who=names.get(context.get("user")) or context.get("username") or "system",
        what="created" if event.pgh_label == "insert" else "changed",
        subject=subject,
        changes=changes if event.pgh_label != "insert" else [],
        reason=context.get("reason", ""),
    )


def _label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name).capitalize()
    except FieldDoesNotExist:
        return name


def _shown(model, name: str, value) -> str:
    """A changed value as people read it: yes/no, euros, the label of a choice, a dash for empty."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    if isinstance(model_field, DecimalField):
        return format_eur(str(value))
    return str(dict(model_field.choices).get(value, value)) if model_field.choices else str(value)


def search_hint(query: str) -> str:
    """What the list shows when a query is too short to search."""
    terms = search_terms(query)
    if terms and not is_searchable(terms):
        return f"Type at least {MIN_TERM_LENGTH} characters."
    return ""


def customer_ids_by_iban(ibans: Iterable[str]) -> dict[str, list[int]]:
    """For each IBAN (compact form), the ids of the customers known to pay from it."""
    found: dict[str, list[int]] = {}
    for iban, customer_id in CustomerIban.objects.filter(iban__in=set(ibans)).values_list("iban", "customer_id"):
        found.setdefault(iban, []).append(customer_id)
    return found


def customer_ibans(customer_id: int) -> list[CustomerIban]:
    return list(CustomerIban.objects.filter(customer_id=customer_id))
