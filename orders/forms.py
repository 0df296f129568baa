"""Input of the order screens: shapes only; the services check the business rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import PaymentMethod
from oms import forms as oms_forms
from orders.models import Channel, OrderStatus
from orders.selectors import LIST_SORTS

SORT_CHOICES = [(key, key) for name in LIST_SORTS for key in (name, f"-{name}")]


class OrderFilterForm(forms.Form):
    """The order list's filters (all optional; a bad value is ignored rather than refused)."""

    q = forms.CharField(required=False, max_length=100, label=_("Search"))
    status = forms.ChoiceField(required=False, choices=[("", _("Any status")), *OrderStatus.choices])
    channel = forms.ChoiceField(required=False, choices=[("", _("Any channel")), *Channel.choices])
    date_from = oms_forms.DateField(required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = oms_forms.DateField(required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    customer = forms.CharField(required=False, max_length=20, label=_("Customer number"))

    backordered = forms.BooleanField(required=False, label=_("Backordered"))
    late = forms.BooleanField(required=False, label=_("Late"))
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES)
    after = forms.IntegerField(required=False, min_value=1)
    before = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select form-select-sm"
            else:
                field.widget.attrs["class"] = "form-control form-control-sm"
        self.fields["customer"].widget.attrs["placeholder"] = "C-000123"

    def values(self) -> dict:
        """The valid filters; a field with a bad value counts as not given."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in self.fields if name not in self.errors}

    def filters(self) -> dict:
        values = self.values()
        return {
            "search": values.get("q") or "",
            "status": values.get("status") or None,
            "channel": values.get("channel") or None,
            "created_from": values.get("date_from"),
            "created_to": values.get("date_to"),
            "customer_number": values.get("customer") or None,
            "backordered": bool(values.get("backordered")),
            "late": bool(values.get("late")),
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False, max_length=300, label=_("Reason"))


class FocusMixin:
    """``focus_field``: where the cursor goes when the form is shown: the first field with an
    error, else ``default_focus``."""

    default_focus = ""

    @property
    def focus_field(self) -> str:
        if self.is_bound:
            failing = [name for name in self.fields if name in self.errors]
            if failing:
                return failing[0]
        return self.default_focus


class NewCustomerForm(FocusMixin, forms.Form):
    """A consumer created on the phone: who, and where the order goes (also the billing address)."""

    default_focus = "name"

    name = forms.CharField(max_length=200, label=_("Name"))
    email = forms.CharField(required=False, max_length=254, label=_("E-mail"))
    phone = forms.CharField(required=False, max_length=40, label=_("Phone"))
    street = forms.CharField(max_length=200, label=_("Street"))
    house_number = forms.CharField(max_length=10, label=_("House number"))
    house_number_addition = forms.CharField(required=False, max_length=10, label=_("Addition"))
    postal_code = forms.CharField(max_length=12, label=_("Postcode"))
    city = forms.CharField(max_length=100, label=_("City"))
    country = forms.CharField(max_length=2, initial="NL", label=_("Country"))

    ADDRESS_FIELDS = ("street", "house_number", "house_number_addition", "postal_code", "city", "country")

    def address(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.ADDRESS_FIELDS}


class AddressForm(FocusMixin, forms.Form):
    """A delivery address typed in on the phone screen."""

    default_focus = "street"

    street = forms.CharField(max_length=200, label=_("Street"))
    house_number = forms.CharField(max_length=10, label=_("House number"))
    house_number_addition = forms.CharField(required=False, max_length=10, label=_("Addition"))
    postal_code = forms.CharField(max_length=12, label=_("Postcode"))
    city = forms.CharField(max_length=100, label=_("City"))
    country = forms.CharField(max_length=2, initial="NL", label=_("Country"))


class AddLineForm(forms.Form):
    """A product picked from the search (``product_id``) or typed/scanned (SKU or barcode)."""

    product_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    code = forms.CharField(required=False, max_length=64, label=_("Product"))
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000, initial=1, label=_("Quantity"))

    def clean(self):
        data = super().clean()
        if not data.get("product_id") and not (data.get("code") or "").strip():
            self.add_error("code", _("Find a product by SKU, name or barcode."))
        return data


class LineQuantityForm(forms.Form):
    quantity = forms.IntegerField(min_value=0, max_value=1_000_000, label=_("Quantity"))


class LinePriceForm(forms.Form):
    """A discount and/or another price for a draft line, with the reason (required)."""

    discount_percent = oms_forms.AmountField(
        required=False, min_value=0, max_value=100, max_digits=5, decimal_places=2, label=_("Discount %")
    )
    unit_price = oms_forms.AmountField(
        required=False, min_value=0, max_digits=12, decimal_places=2, label=_("Price excl. VAT")
    )
    reason = forms.CharField(max_length=200, label=_("Reason"))

    def clean(self):
        data = super().clean()
        if data.get("discount_percent") is None and data.get("unit_price") is None and not self.errors:
            self.add_error("discount_percent", _("Enter a discount or a price."))
        return data


class WarehouseNoteForm(forms.Form):
    notes = forms.CharField(required=False, max_length=5000, label=_("Note for the warehouse"))


class PaymentForm(forms.Form):
    payment_method = forms.ChoiceField(choices=PaymentMethod.choices, label=_("Payment method"))
