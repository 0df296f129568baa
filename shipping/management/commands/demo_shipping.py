"""Demo carriers, service levels, rates, free-shipping thresholds and holidays.

A PostNL-style parcel carrier for the Netherlands and Belgium, a DHL-style carrier for Europe,
the world and pallets, and the company's own van for the Randstad. Prices exclude VAT. Carriers
that exist already are left alone (a manager may have edited them); holidays are added where
missing. The names and links are made up (``.example`` domains).
"""

from decimal import Decimal

from django.core.management.base import BaseCommand
from django.utils import timezone

from oms import audit
from shipping import services
from shipping.models import Carrier, CarrierKind, FreeShipping
from shipping.zones import Zone

# (max kg, price) per zone
CARRIERS = [
    {
        "code": "pakketpost",
        "name": "PakketPost",
        "tracking_url_template": "https://track.pakketpost.example/{tracking_number}?postcode={postal_code}&land={country}",
        "api_endpoint": "https://api.pakketpost.example/v1",
        "api_key": "demo-pakketpost-key",
        "services": [
            ("standard", "Pakket standaard", 1, {Zone.NL: [(2, "4.10"), (5, "5.25"), (10, "6.95"), (23, "10.95")]}),
            ("pickup", "Pakket naar afhaalpunt", 1, {Zone.NL: [(2, "3.60"), (5, "4.70"), (10, "6.40"),
                                                             (23, "9.95")]}),
            ("benelux", "Pakket België/Luxemburg", 2, {Zone.BE_LU: [(2, "8.50"), (5, "9.95"), (10, "13.50"),
                                                                   (23, "17.95")]}),
        ],
    },
    {
        "code": "euroexpress",
        "name": "EuroExpress",
        "tracking_url_template": "https://www.euroexpress.example/track?awb={tracking_number}",
        "api_endpoint": "https://api.euroexpress.example/shipments",
        "api_key": "demo-euroexpress-key",
        "services": [
            ("europe", "Europe Parcel", 3, {
                Zone.BE_LU: [(5, "11.50"), (31.5, "21.00")],
                Zone.EU: [(2, "12.95"), (5, "15.95"), (10, "19.95"), (20, "29.95"), (31.5, "39.95")],
            }),
            ("world", "Worldwide Parcel", 6, {Zone.WORLD: [(2, "29.95"), (5, "44.95"), (10, "64.95"), (20, "99.95")]}),
            ("freight", "Pallet freight", 2, {
                Zone.NL: [(100, "45.00"), (300, "75.00"), (1000, "140.00")],
                Zone.BE_LU: [(100, "65.00"), (300, "105.00"), (1000, "190.00")],
            }),
        ],
    },
    {
        "code": "own-fleet",
        "name": "Own van (Randstad)",
        "kind": CarrierKind.OWN_FLEET,
        # Amsterdam and 't Gooi, Haarlem to Den Haag and Zoetermeer, Rotterdam, Utrecht.
        "postcode_ranges": [("NL", 1000, 1299), ("NL", 2000, 2799), ("NL", 3000, 3199), ("NL", 3400, 3599)],
        "services": [("randstad", "Next-day van", 1, {Zone.NL: [(30, "3.95"), (100, "9.95"), (500, "24.95")]})],
    },
]  # fmt: skip
FREE_SHIPPING = {Zone.NL: Decimal("50.00"), Zone.BE_LU: Decimal("75.00")}
NO_FREE_SHIPPING = {"freight"}  # pallets are charged whatever the order's value
TO_PICKUP_POINTS = {"pickup"}  # delivered to a pick-up point the customer chooses
HOLIDAY_COUNTRIES = ["NL", "BE"]


class Command(BaseCommand):
    help = "Load demo carriers, rates and holidays (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--small", action="store_true", help="accepted for load_demo_data; the set is small")

    def handle(self, *args, **options):
        with audit.context(command="demo_shipping"):
            created = [spec["code"] for spec in CARRIERS if _carrier_load(spec)]
            for zone, amount in FREE_SHIPPING.items():
                if not FreeShipping.objects.filter(zone=zone).exists():
                    services.free_shipping_set(user=None, zone=zone, min_order_net=amount)
            this_year = timezone.localdate().year
            years = sorted({2026, 2027, 2028, this_year, this_year + 1})
            holidays = sum(
                services.holidays_load_public(user=None, country=country, years=years) for country in HOLIDAY_COUNTRIES
            )
        self.stdout.write(f"carriers added: {', '.join(created) or 'none'}; holidays added: {holidays}")


def _carrier_load(spec: dict) -> bool:
    if Carrier.objects.filter(code=spec["code"]).exists():
        return False
    carrier = services.carrier_save(
        user=None,
        code=spec["code"],
        name=spec["name"],
        kind=spec.get("kind", CarrierKind.EXTERNAL),
        tracking_url_template=spec.get("tracking_url_template", ""),
        api_endpoint=spec.get("api_endpoint", ""),
        api_key=spec.get("api_key", ""),
        sort_order=CARRIERS.index(spec),
        postcode_ranges=spec.get("postcode_ranges", ()),
    )
    for code, name, transit_days, rates in spec["services"]:
        service = services.service_level_save(
            user=None,
            carrier_id=carrier.pk,
            code=code,
            name=name,
            transit_days=transit_days,
            free_shipping=code not in NO_FREE_SHIPPING,
            to_pickup_point=code in TO_PICKUP_POINTS,
        )
        for zone, brackets in rates.items():
            services.rates_set(
                user=None,
                service_id=service.pk,
                zone=zone,
                brackets=[(int(kg * 1000), Decimal(price)) for kg, price in brackets],
            )
    return True
