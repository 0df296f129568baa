"""The arithmetic of purchasing: rounding to minimum order quantity and pack size, the
suggested quantity, lead-time dates and the over-receipt limit (no database)."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purchasing import rules


@pytest.mark.parametrize(
    ("need", "moq", "pack", "expected"),
    [
        (1, 1, 1, 1),
        (7, 1, 6, 12),  # up to whole packs
        (12, 1, 6, 12),  # already whole packs
        (3, 10, 1, 10),  # at least the minimum order quantity
        (7, 10, 6, 12),  # the minimum, then whole packs: 10 -> 12
        (25, 10, 6, 30),
        (0, 5, 4, 8),  # a need of nothing still orders the minimum (callers skip 0 first)
    ],
)
def test_round_to_supplier_minimum_then_packs(need, moq, pack, expected):
    assert rules.round_to_supplier(need, min_order_quantity=moq, pack_size=pack) == expected


@given(
    need=st.integers(1, 10_000),
    moq=st.integers(1, 500),
    pack=st.integers(1, 144),
)
@settings(max_examples=200, deadline=None)
def test_round_to_supplier_is_the_smallest_whole_pack_count_covering_need_and_minimum(need, moq, pack):
    quantity = rules.round_to_supplier(need, min_order_quantity=moq, pack_size=pack)
    assert quantity % pack == 0
    assert quantity >= max(need, moq)
    assert quantity - pack < max(need, moq)  # one pack less would not do


def test_suggested_quantity_fills_up_to_the_reorder_quantity():
    # available 3, nothing incoming, reorder point 5, fill up to 20 -> 17, in packs of 6 -> 18
    assert rules.suggested_quantity(reorder_point=5, reorder_quantity=20, available=3, incoming=0, pack_size=6) == 18


def test_suggested_quantity_counts_incoming_and_adds_backordered_demand():
    base = dict(reorder_point=5, reorder_quantity=20, available=0)
    assert rules.suggested_quantity(**base, incoming=8) == 12
    assert rules.suggested_quantity(**base, incoming=8, demand=7) == 19
    assert rules.suggested_quantity(**base, incoming=40, demand=7) == 0  # what is coming covers it


def test_suggested_quantity_never_below_the_reorder_point_or_a_floor():
    # a reorder quantity below the point still fills up to the point
    assert rules.suggested_quantity(reorder_point=10, reorder_quantity=0, available=4, incoming=0) == 6
    # a large order replaces at least what it took, even when the level is not low
    assert rules.suggested_quantity(reorder_point=5, reorder_quantity=20, available=50, incoming=0, at_least=30) == 30
    assert rules.suggested_quantity(reorder_point=5, reorder_quantity=20, available=50, incoming=0) == 0


@pytest.mark.parametrize(
    ("ordered_on", "lead", "arrives"),
    [
        (date(2026, 11, 23), 2, date(2026, 11, 25)),  # Monday + 2 = Wednesday
        (date(2026, 11, 23), 5, date(2026, 11, 30)),  # Monday + 5 = Saturday -> Monday
        (date(2026, 11, 26), 3, date(2026, 11, 30)),  # Thursday + 3 = Sunday -> Monday
        (date(2026, 11, 27), 0, date(2026, 11, 27)),  # same day
        (date(2026, 11, 28), 0, date(2026, 11, 30)),  # ordered on a Saturday, nothing comes before Monday
        (date(2026, 12, 1), 21, date(2026, 12, 22)),
    ],
)
def test_expected_arrival_adds_the_lead_time_and_skips_the_weekend(ordered_on, lead, arrives):
    assert rules.expected_arrival(ordered_on, lead) == arrives


@pytest.mark.parametrize(
    ("ordered", "tolerance", "limit"), [(10, "10", 11), (5, "10", 5), (100, "2.5", 102), (7, "0", 7)]
)
def test_receipt_limit_is_ordered_plus_tolerance_rounded_down(ordered, tolerance, limit):
    assert rules.receipt_limit(ordered, Decimal(tolerance)) == limit


def test_receipt_tolerance_and_large_order_share_come_from_settings(settings):
    settings.OMS_RECEIPT_TOLERANCE_PERCENT = 25
    settings.OMS_REORDER_LARGE_ORDER_SHARE = "0.3"
    assert rules.receipt_limit(8) == 10
    assert rules.large_order_share() == Decimal("0.3")
