"""Form fields shared by the apps' forms."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from oms.numbers import format_decimal_input, normalize_decimal


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
