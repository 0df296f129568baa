"""Input shape for the carrier, service, rate and holiday screens; services apply the rules."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from oms import forms as oms_forms
from shipping import workdays
from shipping.models import CarrierAdapterKind, CarrierKind

_RANGE = re.compile(r"^(?:([A-Za-z]{2})\s+)?(\d{1,6})\s*-\s*(\d{1,6})$")
# "2 4,10", "≤ 2 kg: € 4,10", "31.5 39.95": a weight in kg, then a price.
_BRACKET = re.compile(
    r"^(?:<=|≤|up to)?\s*(\d+(?:[.,]\d+)?)\s*(?:kg)?\s*[:=]?\s*(?:€|eur)?\s*(\d+(?:[.,]\d{1,2})?)$", re.I
)


def parse_postcode_ranges(text: str) -> list[tuple[str, int, int]]:
    """``"1000-1299, NL 3500-3599"`` (commas or lines; the country defaults to NL)."""
    ranges = []
    for chunk in re.split(r"[,\n;]+", text or ""):
        chunk = chunk.strip()
        if not chunk:
            continue
        match = _RANGE.match(chunk)
        if not match:
            raise forms.ValidationError(_("“%(chunk)s” is not a range like 3500-3599."), params={"chunk": chunk})
        country, first, last = match.groups()
        ranges.append(((country or "NL").upper(), int(first), int(last)))
    return ranges


def format_postcode_ranges(ranges) -> str:
    return ", ".join(f"{r.country} {r.first}-{r.last}" if r.country != "NL" else f"{r.first}-{r.last}" for r in ranges)


MAX_BRACKET_GRAMS = 1_000_000_000  # the column is an integer of grams
MAX_BRACKET_PRICE = Decimal(1_000_000)


def parse_brackets(text: str) -> list[tuple[int, Decimal]]:
    """One bracket a line: ``2 4,10`` = up to 2 kg for € 4,10 (comma or point as decimal mark)."""
    brackets = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        match = _BRACKET.match(line)
        if not match:
            raise forms.ValidationError(_("“%(line)s” is not “kg price”, like 2 4,10."), params={"line": line})
        weight, price = (value.replace(",", ".") for value in match.groups())
        try:
            grams = int((Decimal(weight) * 1000).to_integral_value())
            amount = Decimal(price)
        except InvalidOperation as exc:
            raise forms.ValidationError(_("“%(line)s” is not a number."), params={"line": line}) from exc
        if not (0 < grams <= MAX_BRACKET_GRAMS and 0 <= amount < MAX_BRACKET_PRICE):
            raise forms.ValidationError(
                _("“%(line)s”: the weight is at most 1,000,000 kg and the price under 1,000,000."),
                params={"line": line},
            )
        brackets.append((grams, amount))
    return brackets


def format_brackets(rates) -> str:
    return "\n".join(f"{r.weight_kg} {r.price}" for r in rates)


class CarrierForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=30, help_text=_("Short name used in orders, e.g. postnl."))
    name = forms.CharField(label=_("Name"), max_length=100, widget=forms.TextInput(attrs={"autofocus": True}))
    kind = forms.ChoiceField(label=_("Kind"), choices=CarrierKind.choices, initial=CarrierKind.EXTERNAL)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    tracking_url_template = forms.CharField(
        max_length=300,
        required=False,
        label=_("Tracking link"),
        help_text=_("For example https://track.example/{tracking_number}?pc={postal_code}"),
    )
    adapter = forms.ChoiceField(
        label=_("Carrier API"),
        required=False,  # older scripts post no adapter: the generic one
        choices=CarrierAdapterKind.choices,
        initial=CarrierAdapterKind.GENERIC,
        help_text=_("PostNL and Sendcloud use their own API; the generic JSON API is for in-house integrations."),
    )
    api_endpoint = forms.URLField(
        required=False,
        assume_scheme="https",
        label=_("API endpoint"),
        help_text=_("PostNL and Sendcloud: leave empty for their usual address."),
    )
    api_key = forms.CharField(
        max_length=200,
        required=False,
        label=_("API key"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the stored key."),
    )
    clear_api_key = forms.BooleanField(required=False, label=_("Remove the stored API key"))
    api_secret = forms.CharField(
        max_length=200,
        required=False,
        label=_("API secret"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Sendcloud's secret key (it also signs Sendcloud's webhooks). Leave empty to keep it."),
    )
    clear_api_secret = forms.BooleanField(required=False, label=_("Remove the stored API secret"))
    options = forms.CharField(
        label=_("Carrier settings"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "font-monospace"}),
        help_text=_(
            'JSON. PostNL: {"customer_code": "DEVC", "customer_number": "11223344", "collection_location": '
            '"123456"}. Sendcloud: {"shipping_methods": {"standard": 8}}.'
        ),
    )
    webhook_secret = forms.CharField(
        max_length=200,
        required=False,
        label=_("Webhook secret"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "The carrier signs its tracking updates to /webhooks/carriers/<code>/ with it. Leave empty to keep it."
        ),
    )
    clear_webhook_secret = forms.BooleanField(required=False, label=_("Remove the stored webhook secret"))
    sort_order = forms.IntegerField(label=_("Sort order"), min_value=0, max_value=1000, initial=0)
    postcode_ranges = forms.CharField(
        label=_("Postcode ranges"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only for a carrier that drives a region, e.g. 1000-1299, 3500-3599 (NL unless prefixed)."),
    )

    def clean_postcode_ranges(self):
        return parse_postcode_ranges(self.cleaned_data["postcode_ranges"])

    def clean_options(self):
        text = (self.cleaned_data["options"] or "").strip()
        try:
            value = json.loads(text) if text else {}
        except ValueError:
            raise forms.ValidationError(_('This is not JSON, e.g. {"customer_code": "DEVC"}.')) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Give a JSON object: {…}."))
        return value

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        clear = data.pop("clear_api_key")
        data["api_key"] = "" if clear else (data["api_key"] or None)
        clear = data.pop("clear_webhook_secret")
        data["webhook_secret"] = "" if clear else (data["webhook_secret"] or None)
        clear = data.pop("clear_api_secret")
        data["api_secret"] = "" if clear else (data["api_secret"] or None)
        data["adapter"] = data["adapter"] or CarrierAdapterKind.GENERIC
        return data


class ServiceLevelForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=30, help_text=_("e.g. standard, europe, freight."))
    name = forms.CharField(label=_("Name"), max_length=100)
    transit_days = forms.IntegerField(
        label=_("Transit days"),
        min_value=0,
        max_value=60,
        initial=1,
        help_text=_("Working days from hand-over to delivery."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    free_shipping = forms.BooleanField(
        label=_("Free shipping applies"),
        required=False,
        initial=True,
        help_text=_("Orders above a zone's free-shipping amount ship free with this service. Off for pallet freight."),
    )
    to_pickup_point = forms.BooleanField(
        label=_("Delivers to pick-up points"),
        required=False,
        help_text=_("The customer chooses a pick-up point of this carrier when ordering."),
    )


class RatesForm(forms.Form):
    brackets = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "autofocus": True}),
        help_text=_("One line per bracket: the maximum weight in kg and the price excl. VAT, e.g. 2 4,10."),
    )

    def clean_brackets(self):
        return parse_brackets(self.cleaned_data["brackets"])


class FreeShippingForm(forms.Form):
    min_order_net = forms.CharField(
        required=False, max_length=20, label=_("Free from (goods excl. VAT)"), help_text=_("Empty: never free.")
    )

    def clean_min_order_net(self) -> Decimal | None:
        """``50``, ``50,00`` or ``1.250,00``: a Dutch or a plain amount; empty means never free."""
        text = self.cleaned_data["min_order_net"].replace("€", "").replace(" ", "").strip()
        if not text:
            return None
        if "," in text:
            text = text.replace(".", "").replace(",", ".")
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:
            raise forms.ValidationError(_("“%(text)s” is not an amount."), params={"text": text}) from exc
        if not amount.is_finite() or amount < 0:
            raise forms.ValidationError(_("The amount must not be negative."))
        return amount


class HolidayForm(forms.Form):
    country = forms.CharField(min_length=2, max_length=2, initial="NL")
    day = oms_forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(max_length=100)


class HolidayLoadForm(forms.Form):
    country = forms.ChoiceField(
        choices=[(c, c) for c in sorted(workdays.PUBLIC_HOLIDAYS)],
        widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto", "aria-label": _("Country")}),
    )
    year = forms.IntegerField(
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "aria-label": _("Year")}),
    )


# --- fulfilment ----------------------------------------------------------------------------------


def parse_kg(text: str) -> int:
    """``1,25`` or ``1.25`` kg -> 1250 g."""
    text = (text or "").replace(" ", "").replace("kg", "").replace(",", ".")
    try:
        grams = (Decimal(text) * 1000).to_integral_value()
    except InvalidOperation as exc:
        raise forms.ValidationError(_("“%(text)s” is not a weight in kg."), params={"text": text}) from exc
    if not grams.is_finite() or grams <= 0:
        raise forms.ValidationError(_("Give the weight in kg, more than 0."))
    return int(grams)


def format_kg(grams: int) -> str:
    return f"{Decimal(grams) / 1000:.2f}".replace(".", ",")


class OrderNumberForm(forms.Form):
    order = forms.CharField(
        max_length=30,
        label=_("Order number"),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "placeholder": "SO-000123"}),
    )


class ScanForm(forms.Form):
    """A scanner types the barcode and Enter; ``3*MUG-RED`` counts three at once."""

    code = forms.CharField(max_length=80, strip=True)

    def clean(self):
        data = super().clean()
        code = data.get("code", "")
        quantity = 1
        if "*" in code:
            count, _sep, rest = code.partition("*")
            if count.strip().isdigit() and rest.strip():
                quantity, code = int(count), rest.strip()
        data["code"], data["quantity"] = code, quantity
        return data


class PackCloseForm(forms.Form):
    weight = forms.CharField(max_length=12, label=_("Weight (kg)"))
    parcels = forms.IntegerField(min_value=1, max_value=99, initial=1, label=_("Parcels"))
    service = forms.ChoiceField(required=False, label=_("Carrier service"))

    def __init__(self, *args, services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", _("Automatic: as quoted, else the cheapest"))] + [
            (str(s.pk), f"{s.carrier.name} · {s.name}") for s in services
        ]

    def clean_weight(self) -> int:
        return parse_kg(self.cleaned_data["weight"])

    def clean_service(self) -> int | None:
        value = self.cleaned_data.get("service")
        return int(value) if value else None


class PickListForm(forms.Form):
    orders = forms.TypedMultipleChoiceField(coerce=int, choices=(), error_messages={"required": _("Select orders.")})

    def __init__(self, *args, order_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["orders"].choices = [(i, i) for i in order_ids]


class VehicleForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=30, widget=forms.TextInput(attrs={"autofocus": True}))
    name = forms.CharField(label=_("Name"), max_length=100)
    registration = forms.CharField(
        label=_("Registration"), max_length=20, required=False, help_text=_("Licence plate, e.g. VX-123-B")
    )
    carrier = forms.ChoiceField(label=_("Own fleet"))
    warehouse = forms.ChoiceField(label=_("Based at"))
    capacity = forms.CharField(max_length=12, label=_("Capacity (kg)"))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, carriers=(), warehouses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier"].choices = [(str(c.pk), c.name) for c in carriers]
        self.fields["warehouse"].choices = [(str(w.pk), f"{w.code} {w.name}") for w in warehouses]

    def clean_capacity(self) -> int:
        return parse_kg(self.cleaned_data["capacity"])

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "code": data["code"],
            "name": data["name"],
            "registration": data["registration"],
            "carrier_id": int(data["carrier"]),
            "warehouse_id": int(data["warehouse"]),
            "capacity_grams": data["capacity"],
            "active": data["active"],
        }


class TripPlanForm(forms.Form):
    vehicle = forms.ChoiceField()
    day = oms_forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    shipments = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())

    def __init__(self, *args, vehicles=(), shipment_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].choices = [(str(v.pk), f"{v} · {v.capacity_kg} kg") for v in vehicles]
        self.fields["shipments"].choices = [(i, i) for i in shipment_ids]


class StopForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("delivered", _("Delivered")), ("failed", _("Not delivered"))])
    note = forms.CharField(max_length=300, required=False)


class ReturnForm(forms.Form):
    """One quantity field per returnable order line (``line_<id>``), a reason and a note."""

    reason = forms.ChoiceField(label=_("Reason"))
    note = forms.CharField(max_length=300, required=False, label=_("Note"))
    shipment = forms.ChoiceField(required=False, label=_("Shipment"))

    def __init__(self, *args, lines=(), reasons=(), shipments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = list(reasons)
        self.fields["shipment"].choices = [("", "—")] + [(str(s.pk), s.number) for s in shipments]
        self.line_fields = []
        for line, returnable in lines:
            name = f"line_{line.pk}"
            self.fields[name] = forms.IntegerField(min_value=0, max_value=max(returnable, 0), initial=0, required=False)
            self.line_fields.append((line, returnable, name))

    def clean(self):
        data = super().clean()
        data["lines"] = [(line.pk, data.get(name) or 0) for line, _r, name in self.line_fields if data.get(name)]
        if not data["lines"] and not self.errors:
            raise forms.ValidationError(_("Say how many of which line come back."))
        data["shipment"] = int(data["shipment"]) if data.get("shipment") else None
        return data

    def bound_lines(self):
        return [(line, returnable, self[name]) for line, returnable, name in self.line_fields]


class ReturnReceiveForm(forms.Form):
    warehouse = forms.ChoiceField(label=_("Into the stock of"))

    def __init__(self, *args, warehouses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = [(str(w.pk), f"{w.code} {w.name}") for w in warehouses]
