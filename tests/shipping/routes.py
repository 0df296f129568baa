from oms.roles import Role
from tests.routes import Route

WH = (Role.WAREHOUSE,)
MANAGER_ONLY: tuple[str, ...] = ()


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
]
