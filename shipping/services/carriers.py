"""Every change to carriers, services, rates, free-shipping thresholds and holidays.

None of these publish events: the promise reads the tables on every quote, so a change applies
to the next quote. Each runs in one transaction and is recorded by the audit trail (pghistory)
with the acting user.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction

from oms import audit
from oms.errors import Conflict, NotFound, ValidationFailed
from oms.money import quantize, to_decimal
from shipping import endpoints, workdays
from shipping.adapters import is_sandbox
from shipping.models import (
    Carrier,
    CarrierAdapterKind,
    CarrierKind,
    FreeShipping,
    Holiday,
    PostcodeRange,
    Rate,
    ServiceLevel,
)
from shipping.zones import Zone

TEMPLATE_FIELDS = {"tracking_number": "3SABCD1234567", "postal_code": "3511AB", "country": "NL"}


def _acting(user) -> dict:
    return {"user": user.pk} if getattr(user, "pk", None) else {}


# --- carriers ------------------------------------------------------------------------------------


def carrier_save(
    *,
    user,
    carrier_id: int | None = None,
    code: str,
    name: str,
    kind: str = CarrierKind.EXTERNAL,
    active: bool = True,
    tracking_url_template: str = "",
    api_endpoint: str = "",
    api_key: str | None = None,
    webhook_secret: str | None = None,
    adapter: str = CarrierAdapterKind.GENERIC,
    api_secret: str | None = None,
    options: dict | None = None,
    sort_order: int = 0,
    postcode_ranges: Iterable[tuple[str, int, int]] = (),
) -> Carrier:
    """Create a carrier, or update the one with ``carrier_id``; replaces its postcode ranges.

    ``api_key=None``, ``api_secret=None`` and ``webhook_secret=None`` keep the stored value (forms
    never show them). ``adapter`` picks the carrier's API (``shipping.carriers``); ``options``
    (None: keep) are the account details it needs, checked unless the endpoint is a sandbox.
    Locks the carrier row when updating. Raises ``ValidationFailed`` (bad template, kind or
    ranges, an own fleet without a region, an API endpoint that is not https or points into our
    own network: ``shipping.endpoints``), ``Conflict`` (code taken) and ``NotFound``.
    Publishes nothing.
    """
    ranges = _clean_ranges(postcode_ranges)
    _check_template(tracking_url_template)
    _check_endpoint(api_endpoint.strip())
    if kind not in CarrierKind.values:
        raise ValidationFailed(f"Unknown carrier kind {kind!r}.", field="kind")
    if kind == CarrierKind.OWN_FLEET and not ranges:
        raise ValidationFailed("An own fleet needs the postcode ranges it drives to.", field="postcode_ranges")
    _check_adapter(adapter, options, kind, api_endpoint.strip())
    values = {
        "adapter": adapter,
        "code": code.strip().lower(),
        "name": name.strip(),
        "kind": kind,
        "active": active,
        "tracking_url_template": tracking_url_template.strip(),
        "api_endpoint": api_endpoint.strip(),
        "sort_order": sort_order,
    }
    if api_key is not None:
        values["api_key"] = api_key.strip()
    if webhook_secret is not None:
        values["webhook_secret"] = webhook_secret.strip()
    if api_secret is not None:
        values["api_secret"] = api_secret.strip()
    if options is not None:
        values["options"] = options
    with audit.context(**_acting(user)), transaction.atomic(durable=True):
        carrier = _carrier_write(carrier_id, values)
        carrier.postcode_ranges.all().delete()
        PostcodeRange.objects.bulk_create(
            PostcodeRange(carrier=carrier, country=country, first=first, last=last) for country, first, last in ranges
        )
    return carrier


def _check_adapter(adapter: str, options: dict | None, kind: str, endpoint: str) -> None:
    from shipping.carriers import missing_options  # imports this package's bookings: not at the top

    if adapter not in CarrierAdapterKind.values:
        raise ValidationFailed(f"Unknown carrier API {adapter!r}.", field="adapter")
    if options is not None and not isinstance(options, dict):
        raise ValidationFailed("The carrier settings are a JSON object.", code="invalid_options", field="options")
    if kind == CarrierKind.OWN_FLEET or (endpoint and is_sandbox(endpoint)) or options is None:
        return
    missing = missing_options(adapter, options)
    if missing:
        raise ValidationFailed(
            f"The settings of this carrier API need: {', '.join(missing)}.", code="missing_options", field="options"
        )


def _carrier_write(carrier_id: int | None, values: dict) -> Carrier:
    if Carrier.objects.filter(code=values["code"]).exclude(pk=carrier_id).exists():
        raise Conflict(f"Carrier code {values['code']!r} is taken.", code="duplicate_code", field="code")
    try:
        with transaction.atomic():
            if carrier_id is None:
                return Carrier.objects.create(**values)
            carrier = Carrier.objects.select_for_update().filter(pk=carrier_id).first()
            if carrier is None:
                raise NotFound("No such carrier.")
            for name, value in values.items():
                setattr(carrier, name, value)
            carrier.save(update_fields=list(values))
            return carrier
    except IntegrityError as exc:  # a concurrent save took the code between the check and the write
        raise Conflict(f"Carrier code {values['code']!r} is taken.", code="duplicate_code", field="code") from exc


def _check_template(template: str) -> None:
    try:
        template.format_map(TEMPLATE_FIELDS)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValidationFailed(
            "Use only {tracking_number}, {postal_code} and {country} in the tracking link.",
            field="tracking_url_template",
        ) from exc


def _clean_ranges(ranges: Iterable[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    cleaned = []
    for country, first, last in ranges:
        country = (country or "").strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise ValidationFailed(f"{country!r} is not a two-letter country code.", field="postcode_ranges")
        if not 0 <= first <= last:
            raise ValidationFailed(f"Range {first}-{last} runs backwards.", field="postcode_ranges")
        cleaned.append((country, int(first), int(last)))
    return sorted(set(cleaned))


# --- service levels and rates --------------------------------------------------------------------


def service_level_save(
    *,
    user,
    carrier_id: int,
    service_id: int | None = None,
    code: str,
    name: str,
    transit_days: int,
    active: bool = True,
    free_shipping: bool = True,
    to_pickup_point: bool = False,
) -> ServiceLevel:
    """Create a service level of a carrier, or update the one with ``service_id``.
    ``free_shipping``: the zones' free-shipping thresholds apply to it (off for pallet freight);
    ``to_pickup_point``: it delivers to a pick-up point the customer chooses.

    Raises ``ValidationFailed`` (transit days outside 0-60), ``Conflict`` (code taken at this
    carrier), ``NotFound``. Publishes nothing.
    """
    if not 0 <= transit_days <= 60:
        raise ValidationFailed("Transit days must be between 0 and 60.", field="transit_days")
    code = code.strip().lower()
    with audit.context(**_acting(user)), transaction.atomic(durable=True):
        if not Carrier.objects.filter(pk=carrier_id).exists():
            raise NotFound("No such carrier.")
        if ServiceLevel.objects.filter(carrier_id=carrier_id, code=code).exclude(pk=service_id).exists():
            raise Conflict(f"This carrier already has a service {code!r}.", code="duplicate_code", field="code")
        values = {
            "code": code,
            "name": name.strip(),
            "transit_days": transit_days,
            "active": active,
            "free_shipping": bool(free_shipping),
            "to_pickup_point": bool(to_pickup_point),
        }
        if service_id is None:
            return ServiceLevel.objects.create(carrier_id=carrier_id, **values)
        service = ServiceLevel.objects.select_for_update().filter(pk=service_id, carrier_id=carrier_id).first()
        if service is None:
            raise NotFound("No such service level.")
        for field, value in values.items():
            setattr(service, field, value)
        service.save(update_fields=list(values))
        return service


def rates_set(*, user, service_id: int, zone: str, brackets: Iterable[tuple[int, Decimal]]) -> list[Rate]:
    """Replace a service's weight brackets for one zone: ``[(max_weight_grams, price), ...]``.

    An empty list means the service no longer goes to the zone. Locks the service row, so two
    managers editing the same zone apply one after the other. Raises ``ValidationFailed`` (zone,
    weights, prices, a weight twice) and ``NotFound``. Publishes nothing.
    """
    if zone not in Zone.values:
        raise ValidationFailed(f"Unknown zone {zone!r}.", field="zone")
    wanted = _clean_brackets(brackets)
    with audit.context(**_acting(user)), transaction.atomic(durable=True):
        if not ServiceLevel.objects.select_for_update().filter(pk=service_id).exists():
            raise NotFound("No such service level.")
        current = {r.max_weight_grams: r for r in Rate.objects.filter(service_id=service_id, zone=zone)}
        Rate.objects.filter(pk__in=[r.pk for w, r in current.items() if w not in wanted]).delete()
        for weight, price in wanted.items():
            rate = current.get(weight)
            if rate is None:
                Rate.objects.create(service_id=service_id, zone=zone, max_weight_grams=weight, price=price)
            elif rate.price != price:
                rate.price = price
                rate.save(update_fields=["price"])
        return list(Rate.objects.filter(service_id=service_id, zone=zone).order_by("max_weight_grams"))


def _clean_brackets(brackets: Iterable[tuple[int, Decimal]]) -> dict[int, Decimal]:
    wanted: dict[int, Decimal] = {}
    for weight, price in brackets:
        if weight <= 0:
            raise ValidationFailed("A weight bracket must be above 0 g.", field="brackets")
        if weight in wanted:
            raise ValidationFailed(f"The bracket up to {weight} g is given twice.", field="brackets")
        price = quantize(to_decimal(price))
        if price < 0:
            raise ValidationFailed("A price must not be negative.", field="brackets")
        wanted[weight] = price
    return wanted


def free_shipping_set(*, user, zone: str, min_order_net: Decimal | None) -> FreeShipping | None:
    """Shipping to ``zone`` becomes free from ``min_order_net`` (goods, excl. VAT); None: never free.

    Raises ``ValidationFailed`` (zone, negative amount). Publishes nothing.
    """
    if zone not in Zone.values:
        raise ValidationFailed(f"Unknown zone {zone!r}.", field="zone")
    with audit.context(**_acting(user)), transaction.atomic(durable=True):
        if min_order_net is None:
            FreeShipping.objects.filter(zone=zone).delete()
            return None
        amount = quantize(to_decimal(min_order_net))
        if amount < 0:
            raise ValidationFailed("The amount must not be negative.", field="min_order_net")
        row, _ = FreeShipping.objects.update_or_create(zone=zone, defaults={"min_order_net": amount})
        return row


# --- holidays ------------------------------------------------------------------------------------


def holiday_add(*, user, country: str, day: date, name: str) -> Holiday:
    """Close ``country`` on ``day`` for shipping and delivery.

    Raises ``ValidationFailed`` (country code, empty name) and ``Conflict`` (already a holiday).
    """
    country = _country(country)
    if not name.strip():
        raise ValidationFailed("Give the holiday a name.", field="name")
    with audit.context(**_acting(user)), transaction.atomic(durable=True):
        holiday, created = Holiday.objects.get_or_create(country=country, date=day, defaults={"name": name.strip()})
    if not created:
        raise Conflict(f"{day:%d-%m-%Y} is already a holiday in {country}.", code="duplicate_holiday", field="day")
    return holiday


def holiday_delete(*, user, holiday_id: int) -> None:
    """Open a day again. Raises ``NotFound``."""
    with audit.context(**_acting(user)), transaction.atomic(durable=True):
        deleted, _ = Holiday.objects.filter(pk=holiday_id).delete()
    if not deleted:
        raise NotFound("No such holiday.")


def holidays_load_public(*, user, country: str, years: Iterable[int]) -> int:
    """Add the computed public holidays (``shipping.workdays``) of ``country`` for ``years``.

    Days already in the calendar are left as they are. Returns how many were added. Raises
    ``ValidationFailed`` when the rules of the country are not known.
    """
    country = _country(country)
    if country not in workdays.PUBLIC_HOLIDAYS:
        known = ", ".join(sorted(workdays.PUBLIC_HOLIDAYS))
        raise ValidationFailed(f"Public holidays are known for {known} only.", field="country")
    rows = [
        Holiday(country=country, date=day, name=name)
        for y in years
        for day, name in workdays.public_holidays(country, y)
    ]
    with audit.context(**_acting(user)), transaction.atomic(durable=True):
        existing = set(
            Holiday.objects.filter(country=country, date__in=[r.date for r in rows]).values_list("date", flat=True)
        )
        Holiday.objects.bulk_create([r for r in rows if r.date not in existing], ignore_conflicts=True)
    return len([r for r in rows if r.date not in existing])


def _country(country: str) -> str:
    country = (country or "").strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise ValidationFailed(f"{country!r} is not a two-letter country code.", field="country")
    return country


def _check_endpoint(url: str) -> None:
    """``ValidationFailed`` on field ``api_endpoint`` for an endpoint we may not call."""
    if not url or is_sandbox(url):  # empty: own labels; a sandbox domain is never called
        return
    try:
        endpoints.check_url(url)
    except endpoints.EndpointRefused as exc:
        raise ValidationFailed(str(exc), code="endpoint_not_allowed", field="api_endpoint") from exc
