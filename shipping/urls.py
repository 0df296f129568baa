from django.urls import path

from shipping.views import carriers, packing, panels, picking, pickup, returns, shipments, trips

app_name = "shipping"

urlpatterns = [
    # carriers, rates and the holiday calendar
    path("carriers/", carriers.carrier_list, name="carriers"),
    path("carriers/new/", carriers.carrier_edit, name="carrier_new"),
    path("carriers/<int:carrier_id>/", carriers.carrier_edit, name="carrier_edit"),
    path("carriers/<int:carrier_id>/services/new/", carriers.service_edit, name="service_new"),
    path("carriers/<int:carrier_id>/services/<int:service_id>/", carriers.service_edit, name="service_edit"),
    path("rates/", carriers.rate_table, name="rates"),
    path("rates/<int:service_id>/<str:zone>/", carriers.rates_edit, name="rates_edit"),
    path("free-shipping/<str:zone>/", carriers.free_shipping_edit, name="free_shipping_edit"),
    path("holidays/", carriers.holiday_list, name="holidays"),
    path("holidays/load/", carriers.holidays_load, name="holidays_load"),
    path("holidays/<int:holiday_id>/delete/", carriers.holiday_delete, name="holiday_delete"),
    path("pickup-points/choices/", pickup.pickup_point_choices, name="pickup_point_choices"),
    # pick
    path("pick/", picking.pick_queue, name="pick_queue"),
    path("pick/lists/new/", picking.pick_list_create, name="pick_list_create"),
    path("pick/lists/<int:pick_list_id>/", picking.pick_list_detail, name="pick_list"),
    path("pick/lists/<int:pick_list_id>/pdf/", picking.pick_list_pdf, name="pick_list_pdf"),
    # pack
    path("pack/", packing.pack_start, name="pack"),
    path("pack/<int:shipment_id>/", packing.pack_screen, name="pack_screen"),
    path("pack/<int:shipment_id>/scan/", packing.pack_scan, name="pack_scan"),
    path("pack/<int:shipment_id>/lines/<int:line_id>/", packing.pack_line, name="pack_line"),
    path("pack/<int:shipment_id>/close/", packing.pack_close, name="pack_close"),
    path("pack/<int:shipment_id>/cancel/", packing.pack_cancel, name="pack_cancel"),
    # shipments and the exception list
    path("shipments/", shipments.shipment_list, name="shipments"),
    path("shipments/<int:shipment_id>/", shipments.shipment_detail, name="shipment_detail"),
    path("shipments/<int:shipment_id>/label/", shipments.shipment_label, name="shipment_label"),
    path("shipments/<int:shipment_id>/retry/", shipments.shipment_retry, name="shipment_retry"),
    path("shipments/<int:shipment_id>/cancel/", shipments.shipment_cancel, name="shipment_cancel"),
    path("exceptions/", shipments.exception_list, name="exceptions"),
    # own fleet
    path("vehicles/", trips.vehicle_list, name="vehicles"),
    path("vehicles/new/", trips.vehicle_edit, name="vehicle_new"),
    path("vehicles/<int:vehicle_id>/", trips.vehicle_edit, name="vehicle_edit"),
    path("trips/", trips.trip_list, name="trips"),
    path("trips/plan/", trips.trip_plan, name="trip_plan"),
    path("trips/<int:trip_id>/", trips.trip_detail, name="trip_detail"),
    path("trips/<int:trip_id>/dispatch/", trips.trip_dispatch, name="trip_dispatch"),
    path("trips/<int:trip_id>/cancel/", trips.trip_cancel, name="trip_cancel"),
    path("trips/<int:trip_id>/manifest/", trips.trip_manifest, name="trip_manifest"),
    path("trips/stops/<int:stop_id>/", trips.trip_stop, name="trip_stop"),
    # returns
    path("returns/", returns.return_list, name="returns"),
    path("returns/new/", returns.return_new, name="return_new"),
    path("returns/<int:return_id>/", returns.return_detail, name="return_detail"),
    path("returns/<int:return_id>/receive/", returns.return_receive, name="return_receive"),
    path("returns/<int:return_id>/scrap/", returns.return_scrap, name="return_scrap"),
    path("returns/<int:return_id>/cancel/", returns.return_cancel, name="return_cancel"),
    path("returns/<int:return_id>/label.pdf", returns.return_label, name="return_label"),
    path("returns/<int:return_id>/label/retry/", returns.return_label_retry, name="return_label_retry"),
    # panels on the order and customer pages
    path("orders/<int:order_id>/panel/", panels.order_panel, name="order_panel"),
    path("customers/<int:customer_id>/panel/", panels.customer_panel, name="customer_panel"),
]
