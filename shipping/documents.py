"""The PDFs shipping prints: parcel labels (our own fleet, carriers without an API, the sandbox),
batch pick lists and trip manifests. WeasyPrint through ``oms.pdf``; callers render outside any
database transaction (a worker, or a request that only reads)."""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.utils import timezone

from oms.pdf import render_pdf

# Documents rendered by this process, by kind: the tests see that a stored pick list or manifest
# is served without a render in the request.
renders: Counter[str] = Counter()


def label_pdf(parcel, *, sandbox: bool = False, tracking_number: str | None = None) -> bytes:
    """A 10 x 15 cm label for a ``shipping.adapters.ParcelRequest``."""
    context = {
        "parcel": parcel,
        "tracking_number": tracking_number or parcel.reference,
        "sandbox": sandbox,
        "seller": settings.OMS_SELLER,
        "printed_at": timezone.localtime(),
    }
    return render_pdf("shipping/pdf/label.html", context)


def pick_list_pdf(pick_list, rows, notes=()) -> bytes:
    """The pick list: one row per SKU (sorted), the quantity per order under it; then ``notes``,
    the orders' notes for the warehouse as ``(order number, note)``."""
    context = {"pick_list": pick_list, "rows": rows, "notes": notes, "printed_at": timezone.localtime()}
    renders["pick_list"] += 1
    return render_pdf("shipping/pdf/pick_list.html", context)


def trip_manifest_pdf(trip, stops) -> bytes:
    """The driver's manifest: the stops in order with address, parcels, weight and a signature box."""
    context = {"trip": trip, "stops": stops, "seller": settings.OMS_SELLER, "printed_at": timezone.localtime()}
    renders["trip_manifest"] += 1
    return render_pdf("shipping/pdf/trip_manifest.html", context)
