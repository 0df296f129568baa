"""The pick-up points near a postcode as a radio list, for a screen that lets a customer choose one
(the phone order's delivery step, ``orders/order_entry.html``). Each choice carries the point's
snapshot as JSON (id, carrier, name, address), which the screen posts back with the order."""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from oms.errors import ValidationFailed
from oms.htmx import HtmxHttpRequest
from oms.roles import Role, role_required
from shipping.selectors import pickup

POINTS = 8
SNAPSHOT_KEYS = ("id", "carrier", "name", "street", "house_number", "postal_code", "city", "country")


@require_GET
@role_required(Role.CUSTOMER_SERVICE)
def pickup_point_choices(request: HtmxHttpRequest) -> HttpResponse:
    """``?postcode=&country=&carrier=&selected=<point id>``: the nearest points of ``carrier``."""
    params = request.GET
    points, error = [], ""
    try:
        points = pickup.pickup_points_near(
            params.get("postcode", ""),
            params.get("country", "NL"),
            carrier_code=params.get("carrier", ""),
            limit=POINTS,
        )
    except ValidationFailed as exc:
        error = exc.message
    choices = [
        {"point": point, "snapshot": json.dumps({key: getattr(point, key) for key in SNAPSHOT_KEYS})}
        for point in points
    ]
    context = {
        "choices": choices,
        "error": error,
        "selected": params.get("selected", ""),
        "query": params.get("postcode", ""),
    }
    return render(request, "shipping/partials/pickup_point_choices.html", context)
