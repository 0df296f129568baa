"""``build_quote`` answers each distinct date question of a quote once; these properties hold it
to the reference that asks every part anew (``promise_reference``), over generated lines,
allocations, stock, receipts, warehouses, holidays, destinations and moments (Hypothesis)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from oms.delivery import QuoteLine, QuoteRequest
from oms.errors import OmsError
from shipping.promise import PromiseData, Receipt, WarehouseInfo, build_quote
from tests.shipping import promise_reference
from tests.shipping.plain import AMS, SERVICES, holidays

EXAMPLES = settings(max_examples=300, deadline=None)
PRODUCTS = (101, 102, 103, 104)
# 9 is no warehouse the data knows: an allocation from it takes the default country and cut-off
WAREHOUSE_IDS = (1, 2, 3, 9)
CALENDAR = holidays(2026, 2027, 2028)
START = date(2026, 1, 1)

# a few months, so that generated closed days are dense enough to meet the ship dates
days = st.integers(0, 100).map(lambda n: START + timedelta(days=n))
cutoffs = st.sampled_from([time(0, 0), time(12, 0), time(15, 0), time(17, 30), time(23, 59)])
warehouses = st.dictionaries(
    st.sampled_from(WAREHOUSE_IDS[:3]),
    st.tuples(st.sampled_from(["NL", "BE", "DE", "nl"]), cutoffs),
    min_size=1,
).map(lambda found: {pk: WarehouseInfo(pk, f"W{pk}", country, cutoff) for pk, (country, cutoff) in found.items()})
# the real calendars, or extra closed days of their own (a carrier closing on a weekday)
closed_days = st.one_of(
    st.just(CALENDAR),
    st.dictionaries(st.sampled_from(["NL", "BE", "DE"]), st.frozensets(days, max_size=30)),
)
allocations = st.one_of(
    st.none(),
    st.lists(st.tuples(st.sampled_from(WAREHOUSE_IDS), st.integers(0, 4)), max_size=3).map(tuple),
)
lines = st.lists(
    st.builds(
        QuoteLine,
        product_id=st.sampled_from(PRODUCTS),
        quantity=st.integers(0, 5),
        weight_grams=st.sampled_from([0, 100, 450, 1500]),
        allocations=allocations,
    ),
    max_size=10,
)
moments = st.builds(
    lambda day, minutes: datetime.combine(day, time(0, 0), tzinfo=AMS) + timedelta(minutes=minutes),
    days,
    st.integers(0, 24 * 60 - 1),
)
destinations = st.sampled_from(
    [("NL", "2011 AB"), ("NL", "3511 AB"), ("nl", "1012"), ("BE", "2000"), ("DE", "10115"), ("US", "10001"), ("", "")]
)


@st.composite
def scenarios(draw) -> tuple[QuoteRequest, PromiseData]:
    known = draw(warehouses)
    preference = tuple(draw(st.permutations(list(known))))[: draw(st.integers(0, len(known)))]
    data = PromiseData(
        warehouses=known,
        preference=preference,
        services=SERVICES,
        stock=draw(
            st.dictionaries(
                st.sampled_from(PRODUCTS), st.dictionaries(st.sampled_from(WAREHOUSE_IDS), st.integers(0, 6))
            )
        ),
        receipts=draw(
            st.dictionaries(
                st.sampled_from(PRODUCTS),
                st.builds(Receipt, days, st.integers(0, 6), st.sampled_from(WAREHOUSE_IDS)),
            )
        ),
        holidays=draw(closed_days),
        free_shipping_above={"nl": Decimal("50.00"), "be_lu": Decimal("75.00")},
        weights={product: draw(st.integers(0, 1500)) for product in PRODUCTS},
        handling_days=draw(st.integers(0, 3)),
        unknown_lead_days=draw(st.integers(0, 12)),
        default_country=draw(st.sampled_from(["NL", "BE"])),
        default_cutoff=draw(cutoffs),
    )
    country, postcode = draw(destinations)
    request = QuoteRequest(
        lines=tuple(draw(lines)),
        country=country,
        postal_code=postcode,
        order_net=Decimal(draw(st.integers(0, 10000))) / 100,
        ship_complete=draw(st.booleans()),
        now=draw(moments),
    )
    return request, data


def outcome(planner, request: QuoteRequest, data: PromiseData):
    """The quote, or the refusal as (its class, code, field, message)."""
    try:
        return planner(request, data)
    except OmsError as exc:
        return (type(exc), exc.code, exc.field, str(exc))


@EXAMPLES
@given(scenarios())
def test_build_quote_answers_as_the_part_by_part_reference(scenario):
    request, data = scenario
    assert outcome(build_quote, request, data) == outcome(promise_reference.build_quote, request, data)


@EXAMPLES
@given(scenarios(), st.lists(st.integers(1, 9 * 24 * 60), min_size=1, max_size=4))
def test_quotes_after_one_another_answer_each_as_the_reference(scenario, minutes):
    # one planner answering a run of moments (nothing of one quote may leak into the next)
    request, data = scenario
    for later in minutes:
        moved = QuoteRequest(**{**request.__dict__, "now": request.now + timedelta(minutes=later)})
        assert outcome(build_quote, moved, data) == outcome(promise_reference.build_quote, moved, data)


def test_ship_complete_rolls_the_held_parts_to_a_working_day_of_their_own_country():
    # The Dutch part waits for a receipt and leaves on Tuesday 2026-03-10, a Belgian holiday: the
    # Belgian part, held for it, leaves on Wednesday (a case random data seldom meets).
    nl, be = WarehouseInfo(1, "AMS", "NL", time(15)), WarehouseInfo(2, "ANT", "BE", time(15))
    data = PromiseData(
        warehouses={1: nl, 2: be},
        preference=(1, 2),
        services=SERVICES,
        receipts={101: Receipt(date(2026, 3, 9), 5, 1)},
        holidays={"BE": frozenset({date(2026, 3, 10)})},
        handling_days=1,
    )
    lines = (QuoteLine(101, 1, 100, allocations=()), QuoteLine(102, 1, 100, allocations=((2, 1),)))
    request = QuoteRequest(
        lines=lines, postal_code="2011 AB", ship_complete=True, now=datetime(2026, 3, 2, 9, tzinfo=AMS)
    )

    quote = build_quote(request, data)

    assert [line.ship_date for line in quote.lines] == [date(2026, 3, 10), date(2026, 3, 11)]
    assert quote == promise_reference.build_quote(request, data)
