from oms.roles import Role
from tests.routes import Route

PU, WH = Role.PURCHASING, Role.WAREHOUSE
BOTH = (PU, WH)


def _request():
    from tests.factories.inventory import WarehouseFactory
    from tests.factories.purchasing import ReorderRequestFactory

    return {"pk": ReorderRequestFactory(warehouse=WarehouseFactory(code="RTE")).pk}


def _po(sent: bool = False):
    from decimal import Decimal

    from tests.factories.inventory import ProductFactory, WarehouseFactory
    from tests.factories.purchasing import draft_purchase_order, sent_purchase_order

    make = sent_purchase_order if sent else draft_purchase_order
    po = make([(ProductFactory(sku="ROUTE-1"), 4, Decimal("1.00"))], warehouse=WarehouseFactory(code="RTE"))
    return po


def _draft():
    return {"number": _po().number}


def _sent():
    return {"number": _po(sent=True).number}


def _line():
    po = _po()
    return {"number": po.number, "line_id": po.lines.get().pk}


def _supplier():
    from tests.factories.purchasing import SupplierFactory

    return {"pk": SupplierFactory(name="Route supplier").pk}


def _offer():
    from tests.factories.purchasing import SupplierProductFactory

    offer = SupplierProductFactory()
    return {"pk": offer.supplier_id, "offer_id": offer.pk}


ROUTES = [
    Route("purchasing:requests", (PU,)),
    Route("purchasing:requests_order", (PU,), method="post", data={"request": "x"}),
    Route("purchasing:scan", (PU,), method="post"),
    Route("purchasing:request_update", (PU,), _request, method="post", data={"quantity": "x"}),
    Route("purchasing:request_dismiss", (PU,), _request, method="post"),
    Route("purchasing:po_list", BOTH),
    Route("purchasing:po_detail", BOTH, _sent),
    Route("purchasing:po_send", (PU,), _draft, method="post"),
    Route("purchasing:po_cancel", (PU,), _draft, method="post"),
    Route(
        "purchasing:po_reschedule",
        (PU,),
        _sent,
        method="post",
        data={"expected_date": "2030-01-02", "reason": "matrix"},
    ),
    Route("purchasing:po_document_resend", (PU,), _sent, method="post"),
    Route("purchasing:po_line_update", (PU,), _line, method="post", data={"quantity": "x"}),
    Route("purchasing:po_pdf", BOTH, _sent),
    Route("purchasing:receipts", (WH,)),
    Route("purchasing:receipt_create", (WH,), _sent),
    Route("purchasing:receipt_create", (WH,), _sent, method="post", data={"action": "scan", "scan": "nope"}),
    Route("purchasing:supplier_list", (PU,)),
    Route("purchasing:supplier_create", (PU,)),
    Route("purchasing:supplier_detail", (PU,), _supplier),
    Route("purchasing:supplier_edit", (PU,), _supplier),
    Route("purchasing:supplier_product_save", (PU,), _supplier, method="post", data={"sku": ""}),
    Route("purchasing:supplier_product_remove", (PU,), _offer, method="post"),
    Route("api:purchase-order-list", (PU, Role.API_CLIENT), api=True),
]
