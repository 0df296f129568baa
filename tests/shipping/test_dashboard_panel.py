"""The warehouse's dashboard panel counts the real pick queue and pack list of each warehouse,
and each number opens that list showing the same orders."""

from __future__ import annotations

import re

import pytest

from shipping.services import picking
from tests.conftest import HTMX
from tests.shipping.flow import place

pytestmark = pytest.mark.django_db


def test_to_pick_and_to_pack_equal_the_queue_and_the_pack_list(
    customer, mug, plate, ams, parcel_carrier, packer, client
):
    orders = [place(customer, ("MUG-RED", 1)) for _ in range(3)]
    place(customer, ("PLATE-1", 1))
    picking.pick_list_create(warehouse_id=ams.pk, order_ids=[orders[0].pk], user=packer)
    client.force_login(packer)
    html = client.get("/dashboard/shipping.fulfilment/", **HTMX).content.decode()
    stats = {key: (value, url.replace("&amp;", "&")) for url, key, value in re.findall(
        r'<a href="([^"]+)"[^>]*data-stat="([^"]+)" data-value="([^"]+)"', html)}  # fmt: skip
    assert stats["to-pick-AMS"][0] == "3" and stats["to-pack-AMS"][0] == "1"
    queue = client.get(stats["to-pick-AMS"][1]).content.decode()
    assert queue.count('data-testid="queue-row"') == 3
    pack = client.get(stats["to-pack-AMS"][1]).content.decode()
    assert pack.count('data-testid="to-pack"') == 1 and orders[0].number in pack
