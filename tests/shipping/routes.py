from oms.roles import Role
from tests.routes import PUBLIC, Route

WH = (Role.WAREHOUSE,)
WH_CS = (Role.WAREHOUSE, Role.CUSTOMER_SERVICE)
PANEL = (Role.CUSTOMER_SERVICE, Role.WAREHOUSE, Role.ACCOUNTING)
MANAGER_ONLY: tuple[str, ...] = ()


def _status_token():
    from orders.status_links import order_token
    from tests.factories.orders import OrderFactory

    return {"token": order_token(OrderFactory())}


def _carrier():
    from tests.factories.shipping import CarrierFactory

    return {"carrier_id": CarrierFactory().pk}


def _service():
    from tests.factories.shipping import ServiceLevelFactory

    service = ServiceLevelFactory()
    return {"carrier_id": service.carrier_id, "service_id": service.pk}


def _rates():
    from tests.factories.shipping import ServiceLevelFactory

    return {"service_id": ServiceLevelFactory().pk, "zone": "nl"}


def _holiday():
    from tests.factories.shipping import HolidayFactory

    return {"holiday_id": HolidayFactory().pk}


def _shipment(**fields):
    from tests.factories.shipping import ShipmentFactory

    return {"shipment_id": ShipmentFactory(**fields).pk}


def _pending():
    return _shipment(status="pending", service=None, carrier=None)


def _pending_line():
    return {**_pending(), "line_id": 999_999}


def _pick_list():
    from tests.factories.shipping import PickListFactory

    return {"pick_list_id": PickListFactory().pk}


def _vehicle():
    from tests.factories.shipping import VehicleFactory

    return {"vehicle_id": VehicleFactory().pk}


def _trip():
    from tests.factories.shipping import TripStopFactory

    return {"trip_id": TripStopFactory().trip_id}


def _stop():
    from tests.factories.shipping import TripStopFactory

    return {"stop_id": TripStopFactory().pk}


def _return():
    from tests.factories.shipping import ReturnFactory

    return {"return_id": ReturnFactory().pk}


def _return_with_label():
    from django.core.files.base import ContentFile

    from shipping.models import ReturnLabelStatus
    from tests.factories.shipping import ReturnFactory

    ret = ReturnFactory(label_status=ReturnLabelStatus.READY)
    ret.label_file.save(f"{ret.number}.pdf", ContentFile(b"%PDF-1.4 matrix"), save=True)
    return ret


def _label():
    return {"return_id": _return_with_label().pk}


def _customer_label():
    from orders.status_links import order_token

    ret = _return_with_label()
    return {"token": order_token(ret.order), "number": ret.number}


def _order():
    from tests.factories.orders import OrderFactory

    return {"order_id": OrderFactory().pk}


def _customer():
    from tests.factories.customers import CustomerFactory

    return {"customer_id": CustomerFactory().pk}


def _carrier_code():
    from tests.factories.shipping import CarrierFactory

    return {"code": CarrierFactory().code}


ROUTES = [
    Route("shipping:carriers", WH),
    Route("shipping:carrier_new", WH),
    Route("shipping:carrier_new", WH, method="post"),
    Route("shipping:carrier_edit", WH, kwargs=_carrier),
    Route("shipping:service_new", WH, kwargs=_carrier),
    Route("shipping:service_edit", WH, kwargs=_service),
    Route("shipping:rates", WH),
    Route("shipping:rates_edit", MANAGER_ONLY, kwargs=_rates),
    Route("shipping:free_shipping_edit", MANAGER_ONLY, kwargs=lambda: {"zone": "nl"}, method="post"),
    Route("shipping:holidays", WH),
    Route("shipping:holidays_load", WH, method="post"),
    Route("shipping:holiday_delete", WH, kwargs=_holiday, method="post"),
    # pick and pack
    Route("shipping:pick_queue", WH),
    Route("shipping:pick_list_create", WH, method="post"),
    Route("shipping:pick_list", WH, kwargs=_pick_list),
    Route("shipping:pick_list_pdf", WH, kwargs=_pick_list),
    Route("shipping:pack", WH),
    Route("shipping:pack", WH, method="post", data={"order": "SO-999999"}),
    Route("shipping:pack_screen", WH, kwargs=_pending),
    Route("shipping:pack_scan", WH, kwargs=_pending, method="post", data={"code": "NOPE"}),
    Route("shipping:pack_line", WH, kwargs=_pending_line, method="post", data={"quantity": "1"}),
    Route("shipping:pack_close", WH, kwargs=_pending, method="post", data={"weight": "1", "parcels": "1"}),
    Route("shipping:pack_cancel", WH, kwargs=_pending, method="post"),
    # shipments and exceptions
    Route("shipping:shipments", WH_CS),
    Route("shipping:shipment_detail", WH_CS, kwargs=_shipment),
    Route("shipping:shipment_label", WH_CS, kwargs=_shipment),
    Route("shipping:shipment_retry", WH, kwargs=_shipment, method="post"),
    Route("shipping:shipment_cancel", WH, kwargs=_shipment, method="post"),
    Route("shipping:exceptions", WH),
    # own fleet
    Route("shipping:vehicles", WH),
    Route("shipping:vehicle_new", WH),
    Route("shipping:vehicle_new", WH, method="post"),
    Route("shipping:vehicle_edit", WH, kwargs=_vehicle),
    Route("shipping:trips", WH),
    Route("shipping:trip_plan", WH, method="post"),
    Route("shipping:trip_detail", WH, kwargs=_trip),
    Route("shipping:trip_dispatch", WH, kwargs=_trip, method="post"),
    Route("shipping:trip_cancel", WH, kwargs=_trip, method="post"),
    Route("shipping:trip_manifest", WH, kwargs=_trip),
    Route("shipping:trip_stop", WH, kwargs=_stop, method="post", data={"outcome": "delivered"}),
    # returns
    Route("shipping:returns", WH_CS),
    Route("shipping:return_new", WH_CS),
    Route("shipping:return_detail", WH_CS, kwargs=_return),
    Route("shipping:return_receive", WH, kwargs=_return, method="post"),
    Route("shipping:return_scrap", WH, kwargs=_return, method="post"),
    Route("shipping:return_cancel", WH_CS, kwargs=_return, method="post"),
    Route("shipping:return_label", WH_CS, kwargs=_label),
    Route("shipping:return_label_retry", WH_CS, kwargs=_return, method="post"),
    Route("shipping:pickup_point_choices", (Role.CUSTOMER_SERVICE,), data={"postal_code": "1234AB"}),
    # panels on the order and customer pages
    Route("shipping:order_panel", PANEL, kwargs=_order),
    Route("shipping:customer_panel", PANEL, kwargs=_customer),
    # the carriers' tracking webhook (a GET checks the address; POSTs are signed)
    Route("carrier_webhooks:carrier", PUBLIC, kwargs=_carrier_code),
    # the customer's own order page (the signed link is the key)
    Route("status:page", PUBLIC, kwargs=_status_token),
    Route("status:return_label", PUBLIC, kwargs=_customer_label),
    Route("api:shipment-list", (Role.CUSTOMER_SERVICE, Role.WAREHOUSE, Role.API_CLIENT), api=True),
    Route("api:pickup-point-list", (Role.CUSTOMER_SERVICE, Role.WAREHOUSE, Role.API_CLIENT), api=True),
]
