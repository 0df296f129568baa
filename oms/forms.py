"""Form fields shared by the apps' forms.

Dates: the date range class of hostile input (issue 14 §2). A date such as 9999-12-31 or
0001-01-01 parses, and then a period's end plus one day or an ageing bucket's start minus ninety
days overflows (``OverflowError``, a 500). Every date on a screen is a ``DateField``/
``DateTimeField`` from here, bounded to years an order-to-cash system can mean; outside them the
field has a form error.

Amounts: ``AmountField`` reads the Dutch decimal comma as well as the point (issue 19)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from oms.numbers import format_decimal_input, normalize_decimal

MIN_YEAR, MAX_YEAR = 1900, 2999


class DateField(forms.DateField):
    default_error_messages = {"out_of_range": _("Enter a date between %(min)s and %(max)s.")}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators += [
            MinValueValidator(date(MIN_YEAR, 1, 1), message=self._range_message()),
            MaxValueValidator(date(MAX_YEAR, 12, 31), message=self._range_message()),
        ]

    def _range_message(self):
        return self.error_messages["out_of_range"] % {"min": f"{MIN_YEAR}-01-01", "max": f"{MAX_YEAR}-12-31"}


class DateTimeField(forms.DateTimeField):
    default_error_messages = {"out_of_range": _("Enter a date between %(min)s and %(max)s.")}

    def to_python(self, value):
        result = super().to_python(value)
        if result is not None and not MIN_YEAR <= result.year <= MAX_YEAR:
            message = self.error_messages["out_of_range"] % {"min": f"{MIN_YEAR}-01-01", "max": f"{MAX_YEAR}-12-31"}
            raise forms.ValidationError(message, code="out_of_range")
        return result


class AmountInput(forms.TextInput):
    """A text field (not ``type=number``: Chromium drops a decimal comma from those, so "50,00"
    arrived as 5000) with the decimal keyboard on phones, showing its value the Dutch way in
    Dutch ("107,85")."""

    def __init__(self, attrs=None, places: int = 2):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})
        self.places = places

    def format_value(self, value):
        if isinstance(value, (Decimal, int, float)):
            return format_decimal_input(value, self.places)
        return super().format_value(value)


class AmountField(forms.DecimalField):
    """A ``DecimalField`` that reads "50,00", "50.00", "1.234,56" alike (``oms.numbers``)."""

    def __init__(self, *args, **kwargs):
        places = kwargs.get("decimal_places") or 2
        widget = kwargs.get("widget")
        if widget is None or isinstance(widget, type) or not isinstance(widget, AmountInput):
            attrs = getattr(widget, "attrs", None) if widget is not None and not isinstance(widget, type) else None
            attrs = {k: v for k, v in (attrs or {}).items() if k not in ("step", "min", "max", "type")}
            kwargs["widget"] = AmountInput(attrs, places=places)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = normalize_decimal(value)
        return super().to_python(value)
