"""Input shape for the inventory screens. Business rules live in the services; these forms
only parse what was typed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.models import AdjustmentReason, ImportKind
from oms.forms import AmountField
from oms.models import VatCategory

STATUS_CHOICES = [
    ("", _("All stock")),
    ("low", _("Below reorder point")),
    ("out", _("Out of stock")),
    ("reserved", _("Has reservations")),
]
SORT_CHOICES = [
    (key, key) for name in ("sku", "name", "on_hand", "reserved", "available") for key in (name, f"-{name}")
]


class CompactForm(forms.Form):
    """Bootstrap classes on the widgets, so the stock forms render without crispy's template
    tree (the product page is the most visited screen after the overview)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            css = "form-select form-select-sm" if isinstance(widget, forms.Select) else "form-control form-control-sm"
            widget.attrs.setdefault("class", css)


def _warehouse_choices(warehouses, blank: str | None = None) -> list[tuple[str, str]]:
    choices = [(str(w.pk), f"{w.code} · {w.name}") for w in warehouses]
    return [("", blank), *choices] if blank is not None else choices


class StockFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label=_("Search"))
    warehouse = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Warehouse"))
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES, label=_("Show"))
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES)

    def __init__(self, *args, warehouses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = _warehouse_choices(warehouses, blank=str(_("All warehouses")))
        self.fields["warehouse"].widget.attrs["class"] = "form-select"
        self.fields["status"].widget.attrs["class"] = "form-select"
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("SKU, barcode or name…"), "autofocus": True, "data-search": True, "autocomplete": "off"}
        )

    def filters(self) -> dict:
        """The valid filters; an unreadable one is ignored rather than shown as an error."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "q": data.get("q") or "",
            "warehouse_id": data.get("warehouse"),
            "status": data.get("status") or "",
            "sort": data.get("sort") or "sku",
        }


class ProductForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    list_price = AmountField(label=_("List price (EUR, excl. VAT)"), max_digits=12, decimal_places=2, min_value=0)
    consumer_price = AmountField(
        label=_("Consumer price (EUR, incl. VAT)"),
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("The shelf price consumers pay. Empty: the list price plus VAT."),
    )
    vat_category = forms.ChoiceField(label=_("VAT"), choices=VatCategory.choices, initial=VatCategory.HIGH)
    weight_grams = forms.IntegerField(label=_("Weight (g)"), min_value=0, max_value=1_000_000, initial=0)
    barcode = forms.CharField(label=_("Barcode (EAN-13)"), required=False, max_length=13)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["sku"].disabled = True
        else:
            self.fields["sku"].widget.attrs["autofocus"] = True


class AdjustForm(CompactForm):
    warehouse = forms.TypedChoiceField(label=_("Warehouse"), coerce=int)
    delta = forms.IntegerField(label=_("Change (+/-)"), min_value=-1_000_000, max_value=1_000_000)
    reason = forms.ChoiceField(label=_("Reason"), choices=AdjustmentReason.choices, initial=AdjustmentReason.CORRECTION)
    reference = forms.CharField(label=_("Reference"), required=False, max_length=100)

    def __init__(self, *args, warehouses=(), **kwargs):
        super().__init__(*args, prefix="adjust", **kwargs)
        self.fields["warehouse"].choices = _warehouse_choices(warehouses)


class CountForm(CompactForm):
    warehouse = forms.TypedChoiceField(label=_("Warehouse"), coerce=int)
    counted = forms.IntegerField(label=_("Counted quantity"), min_value=0, max_value=1_000_000)
    reference = forms.CharField(label=_("Reference"), required=False, max_length=100)

    def __init__(self, *args, warehouses=(), **kwargs):
        super().__init__(*args, prefix="count", **kwargs)
        self.fields["warehouse"].choices = _warehouse_choices(warehouses)


class TransferForm(CompactForm):
    from_warehouse = forms.TypedChoiceField(coerce=int, label=_("From"))
    to_warehouse = forms.TypedChoiceField(coerce=int, label=_("To"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000)
    reference = forms.CharField(label=_("Reference"), required=False, max_length=100)

    def __init__(self, *args, warehouses=(), **kwargs):
        super().__init__(*args, prefix="transfer", **kwargs)
        choices = _warehouse_choices(warehouses)
        self.fields["from_warehouse"].choices = choices
        self.fields["to_warehouse"].choices = choices
        if len(choices) > 1 and not self.is_bound:
            self.initial.setdefault("to_warehouse", choices[1][0])


class ReorderForm(forms.Form):
    reorder_point = forms.IntegerField(min_value=0, max_value=1_000_000)
    reorder_quantity = forms.IntegerField(min_value=0, max_value=1_000_000)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=ImportKind.choices, widget=forms.RadioSelect, initial=ImportKind.PRODUCTS
    )
    file = forms.FileField(label=_("File"), help_text=_(".csv (comma or semicolon) or .xlsx, first row = column names"))


class WarehouseForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=10)
    name = forms.CharField(label=_("Name"), max_length=100)
    street = forms.CharField(label=_("Street"), required=False, max_length=100)
    house_number = forms.CharField(label=_("House number"), required=False, max_length=20)
    postal_code = forms.CharField(label=_("Postal code"), required=False, max_length=20)
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    country = forms.CharField(label=_("Country"), max_length=2, initial="NL")
    cutoff_time = forms.TimeField(required=False, label=_("Same-day cut-off"), widget=forms.TimeInput(format="%H:%M"))
    priority = forms.IntegerField(label=_("Priority"), required=False, min_value=0, max_value=10_000)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True
