"""Invariant checks that ``python manage.py check_invariants`` runs (reliability-security.md §4).

Each check is a function returning a list of violations (dicts that say what is wrong and
where); an empty list means the invariant holds. Apps register their checks in ``CHECKS`` by
dotted path, so ``oms`` imports no app. Tests call ``run_all()`` after concurrency runs.
"""

from __future__ import annotations

from django.utils.module_loading import import_string

# name -> dotted path of a function () -> list[dict]
CHECKS: dict[str, str] = {
    "outbox: no event is dead": "oms.invariants.no_dead_events",
    "customers: each address kind has one default": "customers.invariants.address_kinds_have_one_default",
    "stock: on hand equals the sum of movements": "inventory.invariants.on_hand_matches_movements",
    "stock: 0 <= reserved <= on hand": "inventory.invariants.reserved_within_on_hand",
    "stock: a level for every product and warehouse": "inventory.invariants.every_pair_has_a_level",
    "purchasing: expected receipts match open purchase order lines": (
        "purchasing.invariants.expected_receipts_match_open_lines"
    ),
    "purchasing: purchase order status matches what was received": "purchasing.invariants.status_matches_received",
    "purchasing: received quantities are the sum of goods receipts": "purchasing.invariants.received_matches_receipts",
    "purchasing: purchase order totals are the sum of their lines": "purchasing.invariants.totals_match_lines",
    "orders: line quantities match their allocations": "orders.invariants.line_quantities_match_allocations",
    "orders: reserved stock equals reserved allocations": "orders.invariants.reserved_stock_matches_allocations",
    "orders: nothing reserved for closed lines": "orders.invariants.nothing_reserved_for_closed_lines",
    "orders: totals = lines + shipping + VAT": "orders.invariants.order_totals_add_up",
    "orders: consumers pay shelf prices incl. VAT, businesses excl. VAT": "orders.invariants.price_basis_follows_buyer",
    "billing: an order's invoices are priced as the order": "billing.invariants.invoices_priced_as_their_order",
    "billing: every journal entry balances": "billing.invariants.entries_balance",
    "billing: invoice numbers are gapless per series and year": "billing.invariants.invoice_numbers_gapless",
    "billing: receivables account equals the open items": "billing.invariants.receivables_equal_open_items",
    "billing: per customer, open balance = invoiced - paid - credited": "billing.invariants.customer_balances",
    "billing: payments add up; refunds and allocations within what was paid": "billing.invariants.payments_add_up",
    "billing: customer credit equals unused payments": "billing.invariants.customer_credit_equals_unused_payments",
    "billing: money accounts equal payments less refunds": "billing.invariants.money_accounts_equal_payments",
    "billing: bank statement lines match their payment or entry": "billing.invariants.bank_lines_match_their_money",
    "billing: provider receivable = unsettled provider payments": (
        "billing.invariants.provider_receivable_equals_unsettled_payments"
    ),
    "billing: invoiced quantities of order lines match their invoices": "billing.invariants.order_invoicing_adds_up",
    "billing: per order, invoiced - credited = what was shipped or sold and not returned": (
        "billing.invariants.order_invoiced_matches_shipped"
    ),
    "billing: per order owed in full, invoices - credit notes = the order's gross": (
        "billing.invariants.order_invoices_add_up_to_the_order"
    ),
    "billing: per customer, open balance = invoiced - paid - credited + refunded": (
        "billing.invariants.customer_open_balance_is_invoiced_less_paid"
    ),
    "billing: cash and PIN sales never appear as receivables": "billing.invariants.cash_sales_never_receivable",
    "billing: VAT accounts equal the VAT of invoices and credit notes": (
        "billing.invariants.vat_accounts_match_documents"
    ),
    "shipping: shipped lines = units in handed-off shipments": "shipping.invariants.shipments_match_shipped_lines",
    "shipping: returned lines = units in processed returns": "shipping.invariants.returns_match_returned_lines",
    "shipping: a handed-off shipment has its label": "shipping.invariants.handed_off_shipments_have_labels",
}


def no_dead_events() -> list[dict]:
    from oms.models import OutboxEvent, OutboxStatus

    return [
        {"event": e.pk, "name": e.name, "error": e.last_error[:200]}
        for e in OutboxEvent.objects.filter(status=OutboxStatus.DEAD).order_by("id")[:100]
    ]


def run_all(only: list[str] | None = None) -> dict[str, list[dict]]:
    """Run every registered check (or those named in ``only``); returns name -> violations."""
    results = {}
    for name, path in CHECKS.items():
        if only and name not in only:
            continue
        results[name] = import_string(path)()
    return results


def violations(only: list[str] | None = None) -> dict[str, list[dict]]:
    return {name: rows for name, rows in run_all(only).items() if rows}
