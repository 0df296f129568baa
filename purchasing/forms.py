"""Input shape for the purchasing screens. Business rules live in the services; these forms
only parse what was typed."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from oms.forms import AmountField
from purchasing.models import POStatus


class CompactForm(forms.Form):
    """Bootstrap classes on the widgets (small controls for dense back-office screens)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm"
            else:
                css = "form-control form-control-sm"
            widget.attrs.setdefault("class", css)


def _id_choices(rows, label, blank) -> list[tuple[str, str]]:
    return [("", blank), *[(str(row.pk), label(row)) for row in rows]]


class RequestFilterForm(CompactForm):
    supplier = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Supplier"))
    warehouse = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Warehouse"))

    def __init__(self, *args, suppliers=(), warehouses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].choices = _id_choices(suppliers, str, _("All suppliers"))
        self.fields["warehouse"].choices = _id_choices(warehouses, lambda w: f"{w.code} · {w.name}", _("All"))

    def filters(self) -> dict:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"supplier_id": data.get("supplier"), "warehouse_id": data.get("warehouse")}


class QuantityForm(CompactForm):
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000, label=_("Quantity"))


class LineQuantityForm(CompactForm):
    quantity = forms.IntegerField(min_value=0, max_value=1_000_000, label=_("Quantity (0 removes the line)"))


class PurchaseOrderFilterForm(CompactForm):
    STATUS_CHOICES = [
        ("", _("All")),
        ("open", _("Open (draft, sent, partially received)")),
        ("overdue", _("Overdue (goods expected before today)")),
        *POStatus.choices,
    ]

    q = forms.CharField(required=False, max_length=100, label=_("Search"))
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES, label=_("Status"))
    supplier = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Supplier"))

    def __init__(self, *args, suppliers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].choices = _id_choices(suppliers, str, _("All suppliers"))
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("PO number or supplier…"), "data-search": True, "autocomplete": "off"}
        )

    def filters(self) -> dict:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"q": data.get("q") or "", "status": data.get("status") or "", "supplier_id": data.get("supplier")}


class CancelForm(CompactForm):
    reason = forms.CharField(required=False, max_length=200, label=_("Reason"))


class RescheduleForm(CompactForm):
    expected_date = forms.DateField(label=_("New expected date"))
    reason = forms.CharField(required=False, max_length=200, label=_("Reason"))


class SupplierForm(CompactForm):
    name = forms.CharField(max_length=200, label=_("Name"))
    contact_name = forms.CharField(max_length=200, required=False, label=_("Contact"))
    email = forms.CharField(max_length=254, required=False, label=_("E-mail for purchase orders"))
    phone = forms.CharField(max_length=40, required=False, label=_("Phone"))
    address = forms.CharField(max_length=200, required=False, label=_("Street and number"))
    postal_code = forms.CharField(max_length=20, required=False, label=_("Postcode"))
    city = forms.CharField(max_length=100, required=False, label=_("City"))
    country = forms.CharField(max_length=2, initial="NL", label=_("Country (2 letters)"))
    vat_id = forms.CharField(max_length=20, required=False, label=_("VAT id"))
    payment_terms_days = forms.IntegerField(min_value=0, max_value=365, initial=30, label=_("Payment terms (days)"))
    lead_time_days = forms.IntegerField(min_value=0, max_value=365, initial=7, label=_("Lead time (days)"))
    active = forms.BooleanField(required=False, initial=True, label=_("Active"))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autofocus"] = True


class SupplierProductForm(CompactForm):
    sku = forms.CharField(max_length=64, label=_("Our SKU"))
    supplier_sku = forms.CharField(max_length=64, required=False, label=_("Supplier SKU"))
    unit_cost = AmountField(max_digits=12, decimal_places=2, min_value=0, label=_("Unit cost (EUR)"))
    min_order_quantity = forms.IntegerField(min_value=1, initial=1, label=_("Minimum order"))
    pack_size = forms.IntegerField(min_value=1, initial=1, label=_("Pack size"))
    lead_time_days = forms.IntegerField(min_value=0, max_value=365, required=False, label=_("Lead time (days)"))
    preferred = forms.BooleanField(required=False, initial=True, label=_("Preferred supplier"))


class ReceiptForm(CompactForm):
    """One quantity field per open purchase order line (``line_<id>``), a scan box, and a key
    that makes a double-submitted form book once."""

    scan = forms.CharField(required=False, max_length=64, label=_("Scan or type a barcode / SKU"))
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    note = forms.CharField(required=False, max_length=300, label=_("Delivery note / remark"))

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                required=False, min_value=0, max_value=1_000_000, label=f"{line.sku} {line.name}"
            )
            self.fields[f"line_{line.pk}"].widget.attrs.update(
                {
                    "class": "form-control form-control-sm num",
                    "inputmode": "numeric",
                    "data-line": line.pk,
                    "aria-label": _("Received now of %(sku)s") % {"sku": line.sku},
                }
            )
        self.fields["scan"].widget.attrs.update(
            {"autofocus": True, "autocomplete": "off", "data-search": True, "data-scan": True}
        )
        if not self.is_bound:
            self.initial.setdefault("key", uuid.uuid4().hex)

    def line_fields(self):
        return [(line, self[f"line_{line.pk}"]) for line in self.lines]

    def quantities(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data.get(f"line_{line.pk}") or 0 for line in self.lines}
