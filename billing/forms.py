"""Input shapes for billing's pages; the services decide what is allowed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import COUNTER_METHODS, InvoiceKind, InvoiceStatus
from customers.models import PaymentMethod
from oms import forms as oms_forms
from oms.forms import AmountField
from oms.numbers import plain_int

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"})


def _first_of_month(today: date) -> date:
    return today.replace(day=1)


class InvoiceFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(required=False, choices=[("", _("Any status")), *InvoiceStatus.choices])
    kind = forms.ChoiceField(required=False, choices=[("", _("Invoices and credit notes")), *InvoiceKind.choices])
    date_from = oms_forms.DateField(required=False, widget=DATE)
    date_to = oms_forms.DateField(required=False, widget=DATE)
    customer = forms.CharField(required=False, max_length=20)
    unsent = forms.BooleanField(required=False, label="Not yet sent")
    overdue = forms.BooleanField(required=False, label="Overdue")

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "unsent": data["unsent"],
            "overdue": data["overdue"],
            "query": data["q"],
            "status": data["status"],
            "kind": data["kind"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "customer_number": data["customer"],
        }


class PeriodForm(forms.Form):
    """A period for exports and the journal; defaults to this month so far."""

    date_from = oms_forms.DateField(required=False, widget=DATE, label=_("From"))
    date_to = oms_forms.DateField(required=False, widget=DATE, label=_("To"))

    def period(self) -> tuple[date, date]:
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        start = data.get("date_from") or _first_of_month(today)
        end = data.get("date_to") or today
        return (start, end) if start <= end else (end, start)


class DayForm(forms.Form):
    """One day (default today); a bad date counts as today."""

    date = oms_forms.DateField(required=False, widget=DATE, label="Day")

    def day(self) -> date:
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("date") or timezone.localdate()


class JournalFilterForm(PeriodForm):
    account = forms.CharField(required=False, max_length=10)
    q = forms.CharField(required=False, max_length=100)


class AsOfForm(forms.Form):
    as_of = oms_forms.DateField(required=False, widget=DATE, label=_("As of"))

    def as_of_date(self) -> date:
        return (self.cleaned_data.get("as_of") if self.is_valid() else None) or timezone.localdate()


class QuarterForm(forms.Form):
    """A calendar quarter; empty or wrong: the last finished quarter (the one to declare)."""

    year = forms.IntegerField(label=_("Year"), min_value=2021, max_value=2100, required=False)
    quarter = forms.TypedChoiceField(
        label=_("Quarter"), choices=[(q, f"Q{q}") for q in range(1, 5)], coerce=int, required=False
    )

    def year_quarter(self) -> tuple[int, int]:
        today = timezone.localdate()
        current = (today.month - 1) // 3 + 1
        default = (today.year, current - 1) if current > 1 else (today.year - 1, 4)
        if not self.is_valid() or not self.cleaned_data.get("year") or not self.cleaned_data.get("quarter"):
            return default
        return self.cleaned_data["year"], self.cleaned_data["quarter"]


class CreditForm(forms.Form):
    """Reason plus, per invoice line, how many units to credit (all that is left, by default)."""

    reason = forms.CharField(max_length=300, widget=forms.TextInput(attrs={"class": "form-control", "autofocus": True}))

    def __init__(self, *args, lines=(), remaining: dict[int, int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.remaining = remaining or {}
        self.invoice_lines = [line for line in lines if self.remaining.get(line.position, 0) > 0]
        for line in self.invoice_lines:
            left = self.remaining[line.position]
            self.fields[f"qty_{line.position}"] = forms.IntegerField(
                min_value=0,
                max_value=left,
                initial=left,
                label=line.description,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm num", "style": "width: 6rem"}),
            )

    def rows(self):
        return [(line, self[f"qty_{line.position}"], self.remaining[line.position]) for line in self.invoice_lines]

    def credit_lines(self) -> list[dict] | None:
        """None for "everything that is left", else the units per line position."""
        wanted = {line.position: self.cleaned_data.get(f"qty_{line.position}") or 0 for line in self.invoice_lines}
        if all(wanted[p] == self.remaining[p] for p in wanted):
            return None
        return [{"line": position, "quantity": qty} for position, qty in wanted.items() if qty]


# --- payments ------------------------------------------------------------------------------------

SM = {"class": "form-control form-control-sm"}


class PaymentForm(forms.Form):
    """A payment taken elsewhere (a bank statement line, a PSP payment), or a refund (negative)."""

    method = forms.ChoiceField(
        label=_("Method"),
        choices=PaymentMethod.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    amount = AmountField(label=_("Amount"), max_digits=12, decimal_places=2, widget=forms.TextInput(attrs=SM))
    reference = forms.CharField(
        label=_("Reference"), max_length=100, widget=forms.TextInput(attrs={**SM, "autocomplete": "off"})
    )
    paid_at = oms_forms.DateTimeField(
        label=_("Paid at"),
        required=False,
        widget=forms.DateTimeInput(attrs={**SM, "type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "method": data["method"],
            "amount": data["amount"],
            "reference": data["reference"],
            "paid_at": data.get("paid_at"),
        }


class RefundForm(forms.Form):
    amount = AmountField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={**SM, "step": "0.01"}),
    )
    reference = forms.CharField(max_length=100, widget=forms.TextInput(attrs={**SM, "autocomplete": "off"}))


class OrderInvoiceForm(forms.Form):
    basis = forms.ChoiceField(choices=[("shipped", _("Shipped quantities")), ("ordered", _("Ordered quantities"))])


# --- counter ---------------------------------------------------------------------------------------

MAX_COUNTER_LINES = 200
MAX_COUNTER_QUANTITY = 9999


class CounterForm(forms.Form):
    """The counter's sale, kept in the form itself (repeated ``sku``/``qty``), so a reload, the
    back button or a second till never loses or mixes up a cart: no server-side cart state."""

    scan = forms.CharField(required=False, max_length=80)
    customer = forms.CharField(required=False, max_length=254)
    method = forms.ChoiceField(choices=[(m.value, m.label) for m in COUNTER_METHODS], required=False)
    tendered = AmountField(required=False, max_digits=12, decimal_places=2, min_value=Decimal("0"))
    reference = forms.CharField(required=False, max_length=100)

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.cart = _cart(data) if data is not None else []

    def method_value(self) -> str:
        value = self.data.get("method") if self.data else None
        return value if value in COUNTER_METHODS else PaymentMethod.PIN

    def remove_index(self) -> int | None:
        try:
            return int(self.data.get("remove", ""))
        except (TypeError, ValueError, AttributeError):
            return None


def _cart(data) -> list[tuple[str, int]]:
    """``[(sku, quantity), ...]`` from the repeated fields; rubbish quantities count as 1, and the
    same SKU twice is one line."""
    skus, quantities = data.getlist("sku"), data.getlist("qty")
    merged: dict[str, int] = {}
    for index, sku in enumerate(skus[:MAX_COUNTER_LINES]):
        sku = (sku or "").strip()[:64]
        if not sku:
            continue
        try:
            quantity = int(quantities[index]) if index < len(quantities) else 1
        except ValueError:
            quantity = 1
        merged[sku] = min(merged.get(sku, 0) + quantity, MAX_COUNTER_QUANTITY)
    return [(sku, quantity) for sku, quantity in merged.items() if quantity > 0]


def parse_scan(text: str) -> tuple[str, int]:
    """``"3*MUG-RED"`` or ``"3*8712345678906"`` -> (code, 3); a plain code counts once."""
    text = (text or "").strip()
    head, found, tail = text.partition("*")
    count = plain_int(head.strip())
    if found and count is not None and tail.strip():
        return tail.strip(), max(1, min(count, MAX_COUNTER_QUANTITY))
    return text, 1


class LockDateForm(forms.Form):
    lock_date = forms.DateField(
        label=_("Lock date"),
        required=False,
        help_text=_("Nothing can be posted on or before this date. Leave empty to lock nothing."),
        widget=forms.DateInput(attrs={**SM, "type": "date"}, format="%Y-%m-%d"),
    )


class BankStatementUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Statement file"),
        help_text=_("CAMT.053 (XML) or MT940, as your bank exports it; at most 5 MB."),
        allow_empty_file=True,
    )


def _amount_nl(value: str) -> Decimal | None:
    """ "1.234,56", "1234,56" and "1234.56" all read as 1234.56; empty is None."""
    value = (value or "").strip().replace(" ", "")
    if not value:
        return None
    if "," in value:
        value = value.replace(".", "").replace(",", ".")
    try:
        return Decimal(value)
    except ArithmeticError:
        raise forms.ValidationError(_("'%(value)s' is not an amount."), params={"value": value[:20]}) from None


class BankLineSplitForm(forms.Form):
    """Up to four invoice numbers with the amount each gets (an empty amount: what is open)."""

    ROWS = 4

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(self.ROWS):
            self.fields[f"invoice_{i}"] = forms.CharField(required=False, max_length=20, label=_("Invoice"))
            self.fields[f"amount_{i}"] = forms.CharField(required=False, max_length=20, label=_("Amount"))

    def clean(self):
        data = super().clean()
        parts = []
        for i in range(self.ROWS):
            number = (data.get(f"invoice_{i}") or "").strip()
            try:
                amount = _amount_nl(data.get(f"amount_{i}") or "")
            except forms.ValidationError as exc:
                self.add_error(f"amount_{i}", exc)
                continue
            if number:
                parts.append((number, amount))
            elif amount is not None:
                self.add_error(f"invoice_{i}", _("Which invoice gets this amount?"))
        if not parts and not self.errors:
            raise forms.ValidationError(_("Name at least one invoice."))
        data["parts"] = parts
        return data


class BankLineBookForm(forms.Form):
    account = forms.ChoiceField(label=_("Ledger account"))
    memo = forms.CharField(label=_("What is it"), max_length=150)

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [(a.code, f"{a.code} {a.name}") for a in accounts]


class SettlementUploadForm(forms.Form):
    provider = forms.CharField(
        label=_("Provider"),
        max_length=30,
        initial="klarna",
        help_text=_("In lower case: klarna, riverty, worldline, ..."),
    )
    file = forms.FileField(
        label=_("Settlement file"),
        help_text=_("CSV with the columns settlement, date, type, reference, amount, vat; at most 5 MB."),
        allow_empty_file=True,
    )
