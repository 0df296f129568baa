"""Form-field bases for every screen: the date range class of hostile input (issue 14 §2).

A date such as 9999-12-31 or 0001-01-01 parses, and then a period's end plus one day or an
ageing bucket's start minus ninety days overflows (``OverflowError``, a 500). Every date on a
screen is a ``DateField``/``DateTimeField`` from here, bounded to years an order-to-cash system
can mean; outside them the field has a form error."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

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
