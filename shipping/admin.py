"""Shipping tables in the Django admin, read-only: changes go through the carrier, rate, holiday
and fulfilment screens, whose services validate them and record who made them."""

from django.contrib import admin

from oms.admin_readonly import ReadOnlyAdmin, ReadOnlyInline
from shipping.models import (
    Carrier,
    DeliveryTrip,
    FreeShipping,
    HandoffAttempt,
    Holiday,
    PickList,
    PickListLine,
    PostcodeRange,
    Rate,
    Return,
    ReturnLine,
    ServiceLevel,
    Shipment,
    ShipmentLine,
    ShipmentNotice,
    TrackingEvent,
    TripStop,
    Vehicle,
)


class ServiceLevelInline(ReadOnlyInline):
    model = ServiceLevel
    fields = ["code", "name", "transit_days", "active"]


class PostcodeRangeInline(ReadOnlyInline):
    model = PostcodeRange
    fields = ["country", "first", "last"]


class RateInline(ReadOnlyInline):
    model = Rate
    fields = ["zone", "max_weight_grams", "price"]


@admin.register(Carrier)
class CarrierAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "active", "api_endpoint"]
    list_filter = ["kind", "active"]
    exclude = ["api_key", "webhook_secret"]  # credentials: not shown anywhere once stored
    inlines = [ServiceLevelInline, PostcodeRangeInline]


@admin.register(ServiceLevel)
class ServiceLevelAdmin(ReadOnlyAdmin):
    list_display = ["carrier", "code", "name", "transit_days", "active"]
    list_select_related = ["carrier"]
    inlines = [RateInline]


@admin.register(FreeShipping)
class FreeShippingAdmin(ReadOnlyAdmin):
    list_display = ["zone", "min_order_net"]


@admin.register(Holiday)
class HolidayAdmin(ReadOnlyAdmin):
    list_display = ["date", "country", "name"]
    list_filter = ["country"]
    date_hierarchy = "date"


# --- fulfilment ----------------------------------------------------------------------------------


class ShipmentLineInline(ReadOnlyInline):
    model = ShipmentLine
    fields = ["sku", "name", "quantity_expected", "quantity"]


class HandoffAttemptInline(ReadOnlyInline):
    model = HandoffAttempt
    fields = ["number", "started_at", "outcome", "http_status", "message"]


class TrackingEventInline(ReadOnlyInline):
    model = TrackingEvent
    fields = ["occurred_at", "status", "event_id", "description", "applied"]


class ShipmentNoticeInline(ReadOnlyInline):
    model = ShipmentNotice
    fields = ["kind", "to_email", "sent_at", "error"]


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    list_display = ["number", "order", "status", "carrier", "tracking_number", "handoff_attempts", "packed_at"]
    list_filter = ["status", "carrier"]
    list_select_related = ["order", "carrier"]
    search_fields = ["number", "tracking_number", "order__number"]
    inlines = [ShipmentLineInline, HandoffAttemptInline, TrackingEventInline, ShipmentNoticeInline]


class PickListLineInline(ReadOnlyInline):
    model = PickListLine
    fields = ["sku", "name", "order", "quantity"]


@admin.register(PickList)
class PickListAdmin(ReadOnlyAdmin):
    list_display = ["number", "warehouse", "created_at", "created_by"]
    inlines = [PickListLineInline]


@admin.register(Vehicle)
class VehicleAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "registration", "carrier", "warehouse", "capacity_grams", "active"]


class TripStopInline(ReadOnlyInline):
    model = TripStop
    fields = ["sequence", "shipment", "status", "note", "done_at"]


@admin.register(DeliveryTrip)
class DeliveryTripAdmin(ReadOnlyAdmin):
    list_display = ["number", "date", "vehicle", "status", "weight_grams", "capacity_grams"]
    list_filter = ["status"]
    inlines = [TripStopInline]


class ReturnLineInline(ReadOnlyInline):
    model = ReturnLine
    fields = ["sku", "name", "quantity"]


@admin.register(Return)
class ReturnAdmin(ReadOnlyAdmin):
    list_display = ["number", "order", "status", "reason", "created_at"]
    list_filter = ["status", "reason"]
    list_select_related = ["order"]
    inlines = [ReturnLineInline]
