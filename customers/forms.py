"""Page forms: they check the shape of the input; the services check the business rules
(postcode, VAT id, KvK, phone) and their errors are put back on these forms' fields."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import AddressKind, CustomerKind, Language, PaymentMethod
from oms.errors import MultipleErrors, OmsError, add_to_form
from oms.forms import AmountField

ADDRESS_PARTS = ("street", "house_number", "house_number_addition", "postal_code", "city", "country")


class CustomerForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CustomerKind.choices, initial=CustomerKind.B2C)
    name = forms.CharField(label=_("Name"), max_length=200)
    company_name = forms.CharField(label=_("Company name"), max_length=200, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False, widget=forms.EmailInput)
    phone = forms.CharField(
        label=_("Phone"), max_length=40, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    vat_id = forms.CharField(label=_("VAT id"), max_length=30, required=False, help_text=_("e.g. NL000099998B57"))
    coc_number = forms.CharField(label=_("KvK number"), max_length=20, required=False, help_text=_("8 digits"))
    preferred_payment_method = forms.ChoiceField(
        label=_("Preferred payment method"), choices=PaymentMethod.choices, initial=PaymentMethod.IDEAL
    )
    payment_terms_days = forms.IntegerField(label=_("Payment terms (days)"), min_value=0, max_value=365, initial=14)
    credit_limit = AmountField(
        label=_("Credit limit (EUR)"), max_digits=12, decimal_places=2, min_value=0, initial=Decimal("0.00")
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices, initial=Language.NL)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autofocus"] = True


class AddressForm(forms.Form):
    """One address; on the create page all its fields are optional and an address is only
    made when one of them is filled in."""

    kind = forms.ChoiceField(label=_("Kind"), choices=AddressKind.choices, initial=AddressKind.SHIPPING)
    street = forms.CharField(label=_("Street"), max_length=200, required=False)
    house_number = forms.CharField(label=_("House number"), max_length=10, required=False)
    house_number_addition = forms.CharField(label=_("Addition"), max_length=10, required=False)
    postal_code = forms.CharField(
        label=_("Postcode"), max_length=12, required=False, widget=forms.TextInput(attrs={"placeholder": "1234 AB"})
    )
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    country = forms.CharField(label=_("Country"), max_length=2, initial="NL", required=False)
    is_default = forms.BooleanField(label=_("Default address of this kind"), required=False)

    def __init__(self, *args, with_kind: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_kind:
            del self.fields["kind"]
            del self.fields["is_default"]
        self.fields["country"].widget.attrs.update({"size": 3, "style": "text-transform: uppercase"})

    def is_filled(self) -> bool:
        return any(self.cleaned_data.get(part) for part in ADDRESS_PARTS if part != "country")

    def address_values(self) -> dict:
        return {part: self.cleaned_data.get(part) or "" for part in ADDRESS_PARTS}


class CreditHoldForm(forms.Form):
    hold = forms.TypedChoiceField(choices=[("1", "hold"), ("0", "lift")], coerce=lambda v: v == "1")
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


def add_nested_errors(exc: OmsError, form: forms.Form, addresses: dict[str, forms.Form | None]) -> None:
    """Put service errors on the right form: ``addresses.0.postal_code`` -> the first address form
    (``addresses`` maps the index as text to its form, or to None for an address that copies
    another and so repeats its errors), anything else -> ``form``."""
    errors = exc.errors if isinstance(exc, MultipleErrors) else [exc]
    for error in errors:
        parts = (error.field or "").split(".")
        if len(parts) == 3 and parts[0] == "addresses" and parts[1] in addresses:
            target = addresses[parts[1]]
            if target is None:
                continue
            target.add_error(parts[2] if parts[2] in target.fields else None, error.message)
        else:
            add_to_form(form, error)
