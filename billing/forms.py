"""Input shapes for billing's pages; the services decide what is allowed."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone

from billing.models import InvoiceKind, InvoiceStatus

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"})


def _first_of_month(today: date) -> date:
    return today.replace(day=1)


class InvoiceFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *InvoiceStatus.choices])
    kind = forms.ChoiceField(required=False, choices=[("", "Invoices and credit notes"), *InvoiceKind.choices])
    date_from = forms.DateField(required=False, widget=DATE)
    date_to = forms.DateField(required=False, widget=DATE)
    customer = forms.CharField(required=False, max_length=20)

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "query": data["q"],
            "status": data["status"],
            "kind": data["kind"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "customer_number": data["customer"],
        }


class PeriodForm(forms.Form):
    """A period for exports and the journal; defaults to this month so far."""

    date_from = forms.DateField(required=False, widget=DATE, label="From")
    date_to = forms.DateField(required=False, widget=DATE, label="To")

    def period(self) -> tuple[date, date]:
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        start = data.get("date_from") or _first_of_month(today)
        end = data.get("date_to") or today
        return (start, end) if start <= end else (end, start)


class JournalFilterForm(PeriodForm):
    account = forms.CharField(required=False, max_length=10)
    q = forms.CharField(required=False, max_length=100)


class AsOfForm(forms.Form):
    as_of = forms.DateField(required=False, widget=DATE, label="As of")

    def as_of_date(self) -> date:
        return (self.cleaned_data.get("as_of") if self.is_valid() else None) or timezone.localdate()


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
