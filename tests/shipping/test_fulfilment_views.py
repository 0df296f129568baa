"""The fulfilment screens as the warehouse and customer service use them: full pages and htmx
fragments, what each action changes, query budgets of the lists, and the order API's shipments."""

import pytest
from django.urls import reverse
from django.utils import timezone

from oms.roles import Role
from orders.models import Order
from shipping.models import DeliveryTrip, PickList, Return, Shipment, Vehicle
from shipping.services import handoff, packing
from tests.conftest import HTMX
from tests.factories.orders import ADDRESS
from tests.shipping.flow import pack, place, ship
from tests.support.pdf import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def wh(role_client):
    return role_client(Role.WAREHOUSE)


def test_pick_queue_page_lists_orders_and_makes_a_pick_list(wh, customer, mug, plate, ams, parcel_carrier,
                                                            django_assert_max_num_queries):  # fmt: skip
    orders = [place(customer, ("MUG-RED", 1), ("PLATE-1", 1)) for _ in range(3)]
    with django_assert_max_num_queries(12):
        page = wh.get(reverse("shipping:pick_queue"), {"warehouse": "AMS"})
    assert page.status_code == 200 and page.content.count(b'data-testid="queue-row"') == 3
    fragment = wh.get(reverse("shipping:pick_queue"), {"warehouse": "AMS"}, **HTMX)
    assert b"<html" not in fragment.content and b'id="pick-queue"' in fragment.content
    response = wh.post(reverse("shipping:pick_list_create"), {"warehouse": "AMS", "orders": [o.pk for o in orders]})
    pick_list = PickList.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("shipping:pick_list", args=[pick_list.pk])
    detail = wh.get(response["Location"])
    assert detail.content.count(b'data-testid="pick-row"') == 2
    pdf = wh.get(reverse("shipping:pick_list_pdf", args=[pick_list.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_pack_screen_scans_with_htmx_and_closes_the_box(wh, customer, mug, ams, parcel_carrier):
    order = place(customer, ("MUG-RED", 2))
    # open the box by typing the order number
    response = wh.post(reverse("shipping:pack") + "?warehouse=AMS", {"order": order.number.lower()})
    shipment = Shipment.objects.get(order=order)
    assert response["Location"] == reverse("shipping:pack_screen", args=[shipment.pk])
    assert b'data-testid="scan"' in wh.get(response["Location"]).content
    # scan: the lines come back as a fragment with what happened
    scan_url = reverse("shipping:pack_scan", args=[shipment.pk])
    scanned = wh.post(scan_url, {"code": "2*8712345678906"}, **HTMX)
    assert scanned.status_code == 200 and b"<html" not in scanned.content and b'id="pack-lines"' in scanned.content
    assert b"MUG-RED: 2/2" in scanned.content and scanned["Vary"].find("HX-Request") >= 0
    wrong = wh.post(scan_url, {"code": "TEAPOT"}, **HTMX)
    assert wrong.status_code == 200 and b"alert-danger" in wrong.content and b"not in this shipment" in wrong.content
    # a bad weight re-renders the form fragment with the error
    close_url = reverse("shipping:pack_close", args=[shipment.pk])
    bad = wh.post(close_url, {"weight": "heavy", "parcels": "1"}, **HTMX)
    assert bad.status_code == 200 and b'id="pack-close"' in bad.content and b"is-invalid" in bad.content
    # closing sends the browser to the shipment
    done = wh.post(close_url, {"weight": "1,05", "parcels": "1"}, **HTMX)
    assert done["HX-Redirect"] == reverse("shipping:shipment_detail", args=[shipment.pk])
    shipment.refresh_from_db()
    assert (shipment.status, shipment.weight_grams) == ("packed", 1050)


def test_pack_start_with_an_unknown_order_says_so(wh, ams):
    response = wh.post(reverse("shipping:pack"), {"order": "SO-424242"})
    assert response.status_code == 200 and b"SO-424242" in response.content and b"invalid-feedback" in response.content


def test_shipment_page_polls_while_the_hand_off_is_due_and_serves_the_label(
    wh, customer, mug, ams, packer, parcel_carrier
):
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    url = reverse("shipping:shipment_detail", args=[shipment.pk])
    waiting = wh.get(url, **HTMX)
    assert b'id="shipment-status"' in waiting.content and b'hx-trigger="every 2s"' in waiting.content
    handoff.shipment_hand_off(shipment_id=shipment.pk)
    done = wh.get(url, **HTMX)
    assert b"every 2s" not in done.content and b"Handed off" in done.content
    label = wh.get(reverse("shipping:shipment_label", args=[shipment.pk]))
    assert label["Content-Type"] == "application/pdf" and b"".join(label.streaming_content).startswith(b"%PDF")


def test_exception_list_shows_failed_hand_offs_with_a_retry_button(wh, customer, mug, ams, packer, parcel_carrier,
                                                                   carrier_server):  # fmt: skip
    carrier_server.script = ["refuse"]
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    handoff.shipment_hand_off(shipment_id=shipment.pk)
    page = wh.get(reverse("shipping:exceptions"))
    assert f'data-shipment="{shipment.number}"'.encode() in page.content and b"Unknown postcode" in page.content
    response = wh.post(reverse("shipping:shipment_retry", args=[shipment.pk]))
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert shipment.handoff_failed_at is None and shipment.handoff_due_at is not None


def test_shipment_list_finds_by_order_number_within_a_query_budget(
    role_client, customer, mug, ams, packer, parcel_carrier, django_assert_max_num_queries
):
    shipments = [ship(place(customer, ("MUG-RED", 1)), ams, packer) for _ in range(3)]
    cs = role_client(Role.CUSTOMER_SERVICE)
    with django_assert_max_num_queries(8):
        page = cs.get(reverse("shipping:shipments"))
    assert page.content.count(b'data-testid="shipment-row"') == 3
    found = cs.get(reverse("shipping:shipments"), {"q": shipments[1].order.number}, **HTMX)
    assert found.content.count(b'data-testid="shipment-row"') == 1 and shipments[1].number.encode() in found.content


def test_the_order_api_lists_the_shipments_with_tracking(api_client_for, customer, mug, ams, packer, parcel_carrier):
    shipment = ship(place(customer, ("MUG-RED", 1)), ams, packer)
    client = api_client_for(Role.API_CLIENT)
    body = client.get(f"/api/v1/orders/{shipment.order.number}/").json()
    assert body["shipments"] == [
        {
            "number": shipment.number, "status": "handed_off", "carrier": "PakketPost", "carrier_code": "pakketpost",
            "service": "standard", "tracking_number": shipment.tracking_number,
            "tracking_url": f"https://track.example/{shipment.tracking_number}?pc=3511AB", "parcels": 1,
            "handed_off_at": timezone.localtime(shipment.handed_off_at).isoformat(timespec="seconds"),
            "delivered_at": None,
        }
    ]  # fmt: skip
    listing = client.get("/api/v1/orders/").json()
    assert listing["results"][0]["shipments"][0]["number"] == shipment.number


def test_order_and_customer_panels_show_the_shipments(role_client, customer, mug, ams, packer, parcel_carrier,
                                                      django_assert_max_num_queries):  # fmt: skip
    shipment = ship(place(customer, ("MUG-RED", 1)), ams, packer)
    cs = role_client(Role.CUSTOMER_SERVICE)
    with django_assert_max_num_queries(9):
        panel = cs.get(reverse("shipping:order_panel", args=[shipment.order_id]), **HTMX)
    assert shipment.tracking_number.encode() in panel.content and b"Register a return" in panel.content
    customer_panel = cs.get(reverse("shipping:customer_panel", args=[customer.pk]), **HTMX)
    assert shipment.number.encode() in customer_panel.content


def test_trip_screens_plan_dispatch_and_print(wh, mug, ams, packer, own_fleet):
    from tests.factories.customers import CustomerFactory

    response = wh.post(reverse("shipping:vehicle_new"), {"code": "van-1", "name": "Van 1", "registration": "vx-1",
        "carrier": own_fleet.carrier_id, "warehouse": ams.pk, "capacity": "750", "active": "on"})  # fmt: skip
    assert response.status_code == 302 and Vehicle.objects.get().capacity_grams == 750_000
    shipment = pack(place(CustomerFactory(), ("MUG-RED", 1), shipping_address=ADDRESS), ams, packer,
                    service_id=own_fleet.pk)  # fmt: skip
    assert shipment.number.encode() in wh.get(reverse("shipping:trips")).content
    planned = wh.post(reverse("shipping:trip_plan"), {"vehicle": Vehicle.objects.get().pk,
                                                      "day": timezone.localdate().isoformat()})  # fmt: skip
    trip = DeliveryTrip.objects.get()
    assert planned["Location"] == reverse("shipping:trip_detail", args=[trip.pk])
    assert b'data-testid="stop-row"' in wh.get(planned["Location"]).content
    manifest = wh.get(reverse("shipping:trip_manifest", args=[trip.pk]))
    assert manifest["Content-Type"] == "application/pdf"
    wh.post(reverse("shipping:trip_dispatch", args=[trip.pk]))
    assert DeliveryTrip.objects.get().status == "dispatched"


def test_return_screens_register_and_receive(role_client, customer, mug, ams, packer, parcel_carrier):
    shipment = ship(place(customer, ("MUG-RED", 2)), ams, packer)
    cs = role_client(Role.CUSTOMER_SERVICE)
    form = cs.get(reverse("shipping:return_new"), {"order": shipment.order.number})
    assert b'data-testid="return-MUG-RED"' in form.content
    line = Order.objects.get(pk=shipment.order_id).lines.get()
    too_many = cs.post(reverse("shipping:return_new") + f"?order={shipment.order.number}",
                       {f"line_{line.pk}": "3", "reason": "damaged"})  # fmt: skip
    assert too_many.status_code == 200 and not Return.objects.exists()
    response = cs.post(reverse("shipping:return_new") + f"?order={shipment.order.number}",
                       {f"line_{line.pk}": "1", "reason": "damaged", "note": "cracked"})  # fmt: skip
    ret = Return.objects.get()
    assert response["Location"] == reverse("shipping:return_detail", args=[ret.pk])
    # customer service may not receive goods (and is not offered to); the warehouse does
    assert b'data-testid="receive"' not in cs.get(response["Location"]).content
    assert b'data-testid="pick' not in cs.get(reverse("shipping:returns")).content  # no warehouse tabs
    assert cs.post(reverse("shipping:return_receive", args=[ret.pk]), {"warehouse": ams.pk}).status_code == 403
    role_client(Role.WAREHOUSE).post(reverse("shipping:return_receive", args=[ret.pk]), {"warehouse": ams.pk})
    assert Return.objects.get().status == "received"


def test_pack_cancel_leaves_the_goods_reserved(wh, customer, mug, ams, packer, parcel_carrier):
    order = place(customer, ("MUG-RED", 1))
    shipment = packing.shipment_start(order_id=order.pk, warehouse_id=ams.pk, user=packer)
    response = wh.post(reverse("shipping:pack_cancel", args=[shipment.pk]))
    assert response.status_code == 302 and Shipment.objects.get(pk=shipment.pk).status == "cancelled"


def test_admin_shows_shipments_read_only(client, django_user_model, customer, mug, ams, packer, parcel_carrier):
    shipment = ship(place(customer, ("MUG-RED", 1)), ams, packer)
    admin = django_user_model.objects.create_superuser("root", "root@example.nl", "pw-for-tests-only")
    client.force_login(admin)
    for url in ("/admin/shipping/shipment/", f"/admin/shipping/shipment/{shipment.pk}/change/",
                "/admin/shipping/deliverytrip/", "/admin/shipping/return/", "/admin/shipping/picklist/"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
    assert shipment.tracking_number.encode() in client.get(f"/admin/shipping/shipment/{shipment.pk}/change/").content
    assert client.get("/admin/shipping/shipment/add/").status_code == 403


def test_the_orders_note_for_the_warehouse_is_on_the_pick_list_and_its_pdf(wh, customer, mug, ams, parcel_carrier):
    noted = place(customer, ("MUG-RED", 1), notes="Breekbaar: extra noppenfolie")
    plain = place(customer, ("MUG-RED", 1))
    wh.post(reverse("shipping:pick_list_create"), {"warehouse": "AMS", "orders": [noted.pk, plain.pk]})
    pick_list = PickList.objects.get()
    page = wh.get(reverse("shipping:pick_list", args=[pick_list.pk])).content.decode()
    assert "Breekbaar: extra noppenfolie" in page
    text = pdf_text(wh.get(reverse("shipping:pick_list_pdf", args=[pick_list.pk])).content)
    assert "Notes for the warehouse" in text
    assert noted.number in text.split("Notes for the warehouse")[1] and "Breekbaar: extra noppenfolie" in text
    assert plain.number not in text.split("Notes for the warehouse")[1]
