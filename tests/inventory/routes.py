from oms.roles import Role
from tests.routes import Route

WH, PU, CS, API = Role.WAREHOUSE, Role.PURCHASING, Role.CUSTOMER_SERVICE, Role.API_CLIENT
READ = (WH, PU, CS)
API_READ = (WH, API, CS, PU)
API_WRITE = (WH, API)


def _product():
    from tests.factories.inventory import ProductFactory, WarehouseFactory

    WarehouseFactory(code="RTE")
    return ProductFactory(sku="ROUTE-1")


def _sku():
    return {"sku": _product().sku}


def _level():
    from inventory.models import StockLevel

    return {"pk": StockLevel.objects.get(product=_product()).pk}


def _job():
    from inventory.models import ImportJob

    return {"pk": ImportJob.objects.create(kind="products", file_name="x.csv", status="done").pk}


def _warehouse():
    from tests.factories.inventory import WarehouseFactory

    return {"code": WarehouseFactory(code="RTE").code}


def _nothing_but_a_product():
    _product()
    return {}


ROUTES = [
    Route("inventory:stock", READ),
    Route("inventory:stock_export", READ),
    Route("inventory:product_create", (WH,)),
    Route("inventory:product_detail", READ, _sku),
    Route("inventory:product_edit", (WH,), _sku),
    Route("inventory:stock_adjust", (WH,), _sku, method="post", data={"adjust-delta": "x"}),
    Route("inventory:stock_count", (WH,), _sku, method="post", data={"count-counted": "x"}),
    Route("inventory:stock_transfer", (WH,), _sku, method="post", data={"transfer-quantity": "x"}),
    Route("inventory:stock_level_configure", (WH, PU), _level, method="post", data={"reorder_point": "2"}),
    Route("inventory:import", (WH,)),
    Route("inventory:import_detail", (WH,), _job),
    Route("inventory:warehouses", READ),
    Route("inventory:warehouse_create", (WH,)),
    Route("inventory:warehouse_edit", (WH,), _warehouse),
    Route("api:product_list", API_READ, api=True),
    Route("api:product_detail", API_READ, _sku, api=True),
    Route(
        "api:product_detail",
        API_WRITE,
        _sku,
        method="put",
        data={"name": "Route", "list_price": "1.00", "vat_category": "high"},
        api=True,
    ),
    Route("api:product_availability", API_READ, _sku, api=True),
    Route(
        "api:stock_adjustment_create",
        API_WRITE,
        _nothing_but_a_product,
        method="post",
        data={"sku": "ROUTE-1", "warehouse": "RTE", "quantity_delta": 5, "reason": "correction"},
        api=True,
    ),
    Route("api:warehouse_list", API_READ, api=True),
    Route("api:warehouse_detail", API_READ, _warehouse, api=True),
    Route("api:warehouse_detail", API_WRITE, _warehouse, method="put", data={"name": "Route"}, api=True),
    Route("api:stock_movement_list", (WH, API), api=True),
]
