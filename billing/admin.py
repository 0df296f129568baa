"""Read-only admin views of the books: issued invoices and posted entries are never edited
(the database refuses it); corrections are credit notes and reversing entries, made on the
accounting screens."""

from django.contrib import admin

from billing.models import (
    Account,
    BankStatement,
    BankStatementLine,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    Payment,
    PaymentAllocation,
    PaymentLink,
    ProviderRefund,
)
from oms.admin_readonly import ReadOnlyAdmin, ReadOnlyInline


class JournalLineInline(ReadOnlyInline):
    model = JournalLine
    fields = ["account", "debit", "credit", "customer", "memo"]
    readonly_fields = fields


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = ["position", "sku", "description", "quantity", "unit_price", "discount_amount", "vat_rate", "net_amount"]
    readonly_fields = fields


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "subledger", "active"]


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "date", "description", "reference", "total_amount", "reversal_of"]
    search_fields = ["reference", "description"]
    date_hierarchy = "date"
    inlines = [JournalLineInline]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "issue_date", "buyer_name", "gross_amount", "status", "sent_at"]
    list_filter = ["kind", "status"]
    search_fields = ["number", "buyer_name", "buyer_company", "reference"]
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline]


class PaymentAllocationInline(ReadOnlyInline):
    model = PaymentAllocation
    fk_name = "payment"
    fields = ["invoice", "amount", "refund", "journal_entry", "created_at"]
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Payments are recorded through the order panel, the customer panel, the API and the
    payment provider's webhook; the database refuses edits here too."""

    list_display = [
        "paid_at",
        "method",
        "reference",
        "amount",
        "customer",
        "order",
        "amount_allocated",
        "amount_refunded",
    ]
    list_filter = ["method"]
    search_fields = ["reference", "customer__number", "order__number"]
    list_select_related = ["customer", "order"]
    date_hierarchy = "paid_at"
    inlines = [PaymentAllocationInline]


class BankStatementLineInline(ReadOnlyInline):
    model = BankStatementLine
    fields = ["position", "booking_date", "amount", "counterparty_name", "counterparty_iban", "remittance", "status"]
    readonly_fields = fields


@admin.register(BankStatement)
class BankStatementAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "format", "account", "identifier", "line_count", "closing_balance"]
    inlines = [BankStatementLineInline]


@admin.register(PaymentLink)
class PaymentLinkAdmin(ReadOnlyAdmin):
    """Links are made by the worker and asked for on the order panel or through the API."""

    list_display = ["created_at", "order", "purpose", "status", "amount", "provider_payment_id", "expires_at", "error"]
    list_filter = ["status", "purpose"]
    search_fields = ["order__number", "provider_payment_id"]
    list_select_related = ["order"]


@admin.register(ProviderRefund)
class ProviderRefundAdmin(ReadOnlyAdmin):
    """Refunds sent back through the provider; the worker and its sweep move them on."""

    list_display = ["created_at", "provider_payment_id", "amount", "status", "provider_refund_id", "confirmed_at"]
    list_filter = ["status"]
    search_fields = ["provider_payment_id", "provider_refund_id", "refund__reference"]
