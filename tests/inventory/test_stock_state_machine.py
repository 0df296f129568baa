"""A Hypothesis state machine over receive, reserve, release, issue, adjust, count and transfer
(reliability-security.md INV-6): after every step the database equals a simple model (which
never lets reserved leave [0, on hand]) and on-hand equals the sum of the movements."""

import pytest
from django.db.models import Sum
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule, run_state_machine_as_test

from inventory.models import StockLevel, StockMovement
from inventory.services import (
    ReserveLine,
    stock_adjust,
    stock_count,
    stock_issue,
    stock_receive,
    stock_release,
    stock_reserve,
    stock_transfer,
)
from oms.errors import InsufficientStock
from tests.factories.inventory import ProductFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

PAIRS = [(p, w) for p in range(2) for w in range(2)]


class StockMachine(RuleBasedStateMachine):
    reservations = Bundle("reservations")

    def __init__(self):
        super().__init__()
        self.warehouses = [WarehouseFactory(), WarehouseFactory()]
        self.products = [ProductFactory(), ProductFactory()]
        self.model = {pair: [0, 0] for pair in PAIRS}  # (product, warehouse) index -> [on_hand, reserved]
        levels = StockLevel.objects.filter(product__in=self.products, warehouse__in=self.warehouses)
        self.level_ids = {(self._p_index(lv.product_id), self._w_index(lv.warehouse_id)): lv.pk for lv in levels}
        self.pair_of_level = {v: k for k, v in self.level_ids.items()}

    def _p_index(self, product_id):
        return [p.pk for p in self.products].index(product_id)

    def _w_index(self, warehouse_id):
        return [w.pk for w in self.warehouses].index(warehouse_id)

    def _available(self, pair):
        on_hand, reserved = self.model[pair]
        return on_hand - reserved

    @rule(pair=st.sampled_from(PAIRS), quantity=st.integers(1, 20))
    def receive(self, pair, quantity):
        p, w = pair
        stock_receive(
            product_id=self.products[p].pk, warehouse_id=self.warehouses[w].pk, quantity=quantity, reference="r"
        )
        self.model[pair][0] += quantity

    @rule(
        target=reservations,
        lines=st.lists(st.tuples(st.integers(0, 1), st.integers(1, 6)), min_size=1, max_size=3),
        partial=st.booleans(),
    )
    def reserve(self, lines, partial):
        wanted = {p: sum(q for pi, q in lines if pi == p) for p in range(2)}
        can = {p: self._available((p, 0)) + self._available((p, 1)) for p in range(2)}
        try:
            result = stock_reserve(
                lines=[ReserveLine(self.products[p].pk, q) for p, q in lines],
                warehouse_ids=[w.pk for w in self.warehouses],
                partial=partial,
            )
        except InsufficientStock:
            assert not partial and any(wanted[p] > can[p] for p in range(2))
            return []
        if not partial:
            assert all(wanted[p] <= can[p] for p in range(2))
            assert sum(r.quantity for r in result) == sum(wanted.values())
        else:
            assert sum(r.quantity for r in result) == sum(min(wanted[p], can[p]) for p in range(2))
        for r in result:
            self.model[self.pair_of_level[r.stock_level_id]][1] += r.quantity
        return [(r.stock_level_id, r.quantity) for r in result]

    @rule(items=consumes(reservations))
    def release(self, items):
        stock_release(items=items)
        for level_id, quantity in items:
            self.model[self.pair_of_level[level_id]][1] -= quantity

    @rule(items=consumes(reservations))
    def issue(self, items):
        stock_issue(items=items, reference="ship")
        for level_id, quantity in items:
            pair = self.pair_of_level[level_id]
            self.model[pair][0] -= quantity
            self.model[pair][1] -= quantity

    @rule(pair=st.sampled_from(PAIRS), delta=st.integers(-10, 10).filter(bool))
    def adjust(self, pair, delta):
        p, w = pair
        allowed = self.model[pair][0] + delta >= self.model[pair][1]
        try:
            stock_adjust(
                product_id=self.products[p].pk,
                warehouse_id=self.warehouses[w].pk,
                delta=delta,
                reason="correction",
                user=None,
            )
        except InsufficientStock:
            assert not allowed
            return
        assert allowed
        self.model[pair][0] += delta

    @rule(pair=st.sampled_from(PAIRS), counted=st.integers(0, 30))
    def count(self, pair, counted):
        p, w = pair
        try:
            stock_count(product_id=self.products[p].pk, warehouse_id=self.warehouses[w].pk, counted=counted, user=None)
        except InsufficientStock:
            assert counted < self.model[pair][1]
            return
        self.model[pair][0] = counted

    @rule(p=st.integers(0, 1), source=st.integers(0, 1), quantity=st.integers(1, 10))
    def transfer(self, p, source, quantity):
        target = 1 - source
        try:
            stock_transfer(
                product_id=self.products[p].pk,
                from_warehouse_id=self.warehouses[source].pk,
                to_warehouse_id=self.warehouses[target].pk,
                quantity=quantity,
                user=None,
            )
        except InsufficientStock:
            assert quantity > self._available((p, source))
            return
        self.model[(p, source)][0] -= quantity
        self.model[(p, target)][0] += quantity

    @invariant()
    def database_matches_the_model(self):
        levels = StockLevel.objects.filter(pk__in=self.level_ids.values())
        actual = {self.pair_of_level[lv.pk]: [lv.on_hand, lv.reserved] for lv in levels}
        assert actual == self.model
        assert all(0 <= reserved <= on_hand for on_hand, reserved in actual.values())

    @invariant()
    def on_hand_is_the_sum_of_the_movements(self):
        sums = (
            StockMovement.objects.filter(product__in=self.products, warehouse__in=self.warehouses)
            .values_list("product_id", "warehouse_id")
            .annotate(total=Sum("quantity"))
        )
        totals = {(self._p_index(p), self._w_index(w)): total for p, w, total in sums}
        assert {pair: totals.get(pair, 0) for pair in PAIRS} == {pair: v[0] for pair, v in self.model.items()}


def test_stock_services_keep_every_invariant():
    run_state_machine_as_test(StockMachine, settings=settings(max_examples=20, stateful_step_count=25, deadline=None))
