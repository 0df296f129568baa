"""The PDFs a worker renders and stores (issue 19): the pick list and the driver's trip manifest,
one mechanism (``shipping.services.stored_pdf``). Their link serves the stored file, shows a page
that polls while it is not ready, never serves a document that disagrees with its row (a line
or a stop gone after the render), and renders in the request when tasks run inline (the quick
start). With a real worker: a new pick list's PDF and a new trip's manifest are rendered and
served from the store, and the manifest is rendered again when a stop leaves the trip."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from oms.roles import Role
from shipping import documents
from shipping.models import DeliveryTrip, PickList, PickListLine, Shipment, TripStop
from shipping.selectors import fulfilment as selectors
from shipping.services import packing, picking, trips
from tests.conftest import HTMX
from tests.factories.customers import CustomerFactory
from tests.factories.orders import ADDRESS
from tests.shipping.flow import pack, place
from tests.support.celery_worker import Worker, new_queue, use_broker, wait_until
from tests.support.pdf import pdf_text
from tests.support.services import redis_url


@dataclass
class Stored:
    """One stored document, made for the test, as its link shows it."""

    kind: str  # its key in ``documents.renders``
    row: object
    url: str
    words: str  # "pick list": "Preparing the pick list…"
    testid: str
    render: Callable[[], bool]  # the worker's task, run here
    shrink: Callable[[], object]  # take a line or stop away
    kept: str  # text that stays on it
    gone: str  # text that goes with ``shrink``


@pytest.fixture
def van(ams, own_fleet):
    return trips.vehicle_save(user=None, code="van-1", name="Van 1", registration="vx-123-b",
                              carrier_id=own_fleet.carrier_id, warehouse_id=ams.pk, capacity_grams=5_000)  # fmt: skip


@pytest.fixture
def stops(mug, ams, packer, own_fleet):
    """Two packed own-fleet shipments waiting for a trip, 3511 AB before 3521 AA."""
    made = []
    for postcode in ("3511 AB", "3521 AA"):
        order = place(CustomerFactory(), ("MUG-RED", 1), shipping_address={**ADDRESS, "postal_code": postcode})
        made.append(pack(order, ams, packer, weight_grams=800, service_id=own_fleet.pk))
    return made


@pytest.fixture
def pick_list_stored(customer, mug, plate, ams, packer, parcel_carrier) -> Stored:
    order = place(customer, ("MUG-RED", 2), ("PLATE-1", 1))
    pick_list = picking.pick_list_create(warehouse_id=ams.pk, order_ids=[order.pk], user=packer).pick_list
    return Stored(
        "pick_list", pick_list, reverse("shipping:pick_list_pdf", args=[pick_list.pk]), "pick list", "pick-list-pdf",
        render=lambda: picking.pick_list_pdf_render(pick_list_id=pick_list.pk),
        shrink=lambda: PickListLine.objects.filter(pick_list=pick_list, sku="PLATE-1").delete(),
        kept="MUG-RED", gone="PLATE-1",
    )  # fmt: skip


@pytest.fixture
def trip_manifest_stored(van, stops, packer) -> Stored:
    first, second = stops
    trip = trips.trip_plan(vehicle_id=van.pk, day=timezone.localdate(), user=packer)
    return Stored(
        "trip_manifest", trip, reverse("shipping:trip_manifest", args=[trip.pk]), "manifest", "manifest-pdf",
        render=lambda: trips.trip_manifest_render(trip_id=trip.pk),
        shrink=lambda: packing.shipment_cancel(shipment_id=first.pk, user=packer),  # its stop leaves the trip
        kept=second.number, gone=first.number,
    )  # fmt: skip


@pytest.fixture(params=["pick_list", "trip_manifest"])
def stored(request) -> Stored:
    return request.getfixturevalue(f"{request.param}_stored")


@pytest.mark.django_db
@pytest.mark.redis
def test_the_link_polls_while_the_pdf_is_not_ready_then_serves_it(role_client, stored):
    wh, preparing = role_client(Role.WAREHOUSE), f"Preparing the {stored.words}…"
    with use_broker(redis_url(), new_queue()):  # a worker is configured, but has not rendered it yet
        before = documents.renders[stored.kind]
        page = wh.get(stored.url)
        assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
        assert preparing in page.content.decode() and 'hx-trigger="every 1s"' in page.content.decode()
        assert "HX-Request" in page["Vary"]
        poll = wh.get(stored.url, {"poll": 0}, **HTMX)
        assert b"<html" not in poll.content and preparing in poll.content.decode()
        assert documents.renders[stored.kind] == before
        # a poll that has waited long (no worker took the task) offers to print in the request
        late = wh.get(stored.url, {"poll": 19}, **HTMX)
        assert f'data-testid="{stored.testid}-now"' in late.content.decode() and b"every 1s" not in late.content
        now = wh.get(stored.url, {"now": 1})
        assert now["Content-Type"] == "application/pdf" and stored.kept in pdf_text(now.content)
        assert documents.renders[stored.kind] == before + 1
        # when the worker's task runs
        assert stored.render() is True
        # then the poll turns into the download, and the link serves the file
        ready = wh.get(stored.url, {"poll": 1}, **HTMX)
        assert f'data-testid="{stored.testid}-ready"' in ready.content.decode() and b"every 1s" not in ready.content
        before = documents.renders[stored.kind]
        pdf = wh.get(stored.url)
        assert pdf["Content-Type"] == "application/pdf"
        assert stored.row.number in pdf_text(b"".join(pdf.streaming_content))
        assert documents.renders[stored.kind] == before
        # and a second run of the task keeps the file
        assert stored.render() is False


@pytest.mark.django_db
@pytest.mark.redis
def test_a_pdf_rendered_before_its_row_changed_is_never_served(role_client, stored):
    assert stored.render() is True
    wh = role_client(Role.WAREHOUSE)
    # when a line leaves the pick list, or a stop the trip, after rendering
    stored.shrink()
    # then with a worker the link waits for a new render instead of serving the old file
    with use_broker(redis_url(), new_queue()):
        assert f"Preparing the {stored.words}…" in wh.get(stored.url).content.decode()
    # inline (the quick start) it renders the row as it is now in the request
    fresh = pdf_text(wh.get(stored.url).content)
    assert stored.kept in fresh and stored.gone not in fresh
    # and the worker's next render replaces the stored file with the row as it is now
    assert stored.render() is True
    with use_broker(redis_url(), new_queue()):
        served = pdf_text(b"".join(wh.get(stored.url).streaming_content))
    assert stored.kept in served and stored.gone not in served


@pytest.mark.django_db
def test_inline_tasks_render_in_the_request_as_before(role_client, stored):
    assert not type(stored.row).objects.get(pk=stored.row.pk).pdf  # nothing queued inline: no render on create
    before = documents.renders[stored.kind]
    response = role_client(Role.WAREHOUSE).get(stored.url)
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert stored.row.number in text and stored.kept in text and stored.gone in text
    assert documents.renders[stored.kind] == before + 1


@pytest.mark.django_db
def test_the_manifest_stamp_changes_with_what_the_manifest_shows_only(van, stops, packer, ams, own_fleet):
    trip = trips.trip_plan(vehicle_id=van.pk, day=timezone.localdate(), user=packer)
    stamp = lambda: selectors.trip_manifest_stamp(selectors.trip_get(trip.pk))  # noqa: E731
    planned = stamp()
    assert stamp() == planned
    # a stop added to the trip
    order = place(CustomerFactory(), ("MUG-RED", 1), shipping_address={**ADDRESS, "postal_code": "3590 AA"})
    third = pack(order, ams, packer, weight_grams=800, service_id=own_fleet.pk)
    TripStop.objects.create(trip=trip, shipment=third, sequence=3)
    added = stamp()
    assert added != planned
    # an address corrected
    Shipment.objects.filter(pk=third.pk).update(address={**third.address, "house_number": "99"})
    corrected = stamp()
    assert corrected != added
    # a driver's note is not on the manifest
    TripStop.objects.filter(trip=trip).update(note="ring twice")
    assert stamp() == corrected


def _stored_file(model, pk: int) -> bytes | None:
    row = model.objects.get(pk=pk)
    if not row.pdf or not default_storage.exists(row.pdf.name):
        return None
    with default_storage.open(row.pdf.name, "rb") as handle:
        return handle.read()


def _worker(settings, monkeypatch) -> Worker:
    queue = new_queue()
    monkeypatch.setenv("MEDIA_ROOT", settings.MEDIA_ROOT)  # the worker stores where this process reads
    monkeypatch.setenv("CELERY_TASK_DEFAULT_QUEUE", queue)
    return Worker(queue, redis_url()).start()


def _served_from_the_store(client, url: str, data: bytes, kind: str) -> None:
    """The link answers with the stored file and renders nothing in this process."""
    before = documents.renders[kind]
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == data
    assert documents.renders[kind] == before


@pytest.mark.django_db(transaction=True)
@pytest.mark.redis
@pytest.mark.worker
def test_the_worker_renders_a_new_pick_list_and_the_link_serves_the_stored_file(
    role_client, customer, mug, plate, ams, packer, parcel_carrier, settings, monkeypatch
):
    first = place(customer, ("PLATE-1", 1), ("MUG-RED", 2))
    second = place(customer, ("MUG-RED", 3))
    worker = _worker(settings, monkeypatch)
    try:
        with use_broker(redis_url(), worker.queue):
            # when a pick list is made (its PDF is queued when the transaction commits)
            result = picking.pick_list_create(warehouse_id=ams.pk, order_ids=[first.pk, second.pk], user=packer)
            pick_list = result.pick_list
            data = wait_until(lambda: _stored_file(PickList, pick_list.pk), timeout=60)
            assert data, "".join(worker.log[-40:])
            # then the stored PDF lists the pick list's lines
            text = pdf_text(data)
            assert pick_list.number in text and text.index("MUG-RED") < text.index("PLATE-1")
            assert first.number in text and second.number in text
            # and the link serves that file
            url = reverse("shipping:pick_list_pdf", args=[pick_list.pk])
            _served_from_the_store(role_client(Role.WAREHOUSE), url, data, "pick_list")
    finally:
        worker.stop()


@pytest.mark.django_db(transaction=True)
@pytest.mark.redis
@pytest.mark.worker
def test_the_worker_renders_the_manifest_of_a_new_trip_and_again_when_a_stop_leaves(
    role_client, van, stops, packer, settings, monkeypatch
):
    first, second = stops
    worker = _worker(settings, monkeypatch)
    wh = role_client(Role.WAREHOUSE)
    try:
        with use_broker(redis_url(), worker.queue):
            # when a trip is planned (its manifest is queued when the transaction commits)
            trip = trips.trip_plan(vehicle_id=van.pk, day=timezone.localdate(), user=packer)
            url = reverse("shipping:trip_manifest", args=[trip.pk])
            data = wait_until(lambda: _stored_file(DeliveryTrip, trip.pk), timeout=60)
            assert data, "".join(worker.log[-40:])
            # then the stored manifest lists the stops in order, with their orders
            text = pdf_text(data)
            assert trip.number in text and text.index(first.number) < text.index(second.number)
            assert first.order.number in text and second.order.number in text
            # and the link serves that file
            _served_from_the_store(wh, url, data, "trip_manifest")
            # when the first shipment is unpacked, which takes its stop off the trip
            stamp = DeliveryTrip.objects.get(pk=trip.pk).pdf_stamp
            packing.shipment_cancel(shipment_id=first.pk, user=packer)
            # then the worker renders the manifest again (queued by the change), without that stop
            renewed = wait_until(lambda: DeliveryTrip.objects.get(pk=trip.pk).pdf_stamp != stamp, timeout=60)
            assert renewed, "".join(worker.log[-40:])
            again = _stored_file(DeliveryTrip, trip.pk)
            text = pdf_text(again)
            assert second.number in text and first.number not in text and first.order.number not in text
            # and the link serves the new file
            _served_from_the_store(wh, url, again, "trip_manifest")
    finally:
        worker.stop()
