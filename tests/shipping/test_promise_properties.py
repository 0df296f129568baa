"""Properties of the promise over random stock, receipts, orders and moments (Hypothesis)."""

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from oms.delivery import QuoteLine
from shipping import workdays
from shipping.promise import build_quote
from tests.shipping.plain import AMS, AMS_WH, ANT_WH, MUG, PLATE, TEAPOT, TIL_WH, data, holidays, request

PRODUCTS = (MUG, PLATE, TEAPOT)
HOLIDAYS = holidays(2026, 2027, 2028)
DESTINATIONS = [("NL", "2011 AB"), ("NL", "3511 AB"), ("BE", "2000"), ("DE", "10115")]
EXAMPLES = settings(max_examples=120, deadline=None)

moments = st.builds(
    lambda day, minutes: (
        datetime.combine(date(2026, 1, 1) + timedelta(days=day), time(0, 0), tzinfo=AMS) + timedelta(minutes=minutes)
    ),
    st.integers(0, 640),
    st.integers(0, 24 * 60 - 1),
)
stock = st.dictionaries(
    st.sampled_from(PRODUCTS), st.dictionaries(st.sampled_from([AMS_WH, TIL_WH, ANT_WH]), st.integers(0, 6))
)
receipt = st.tuples(st.integers(-10, 60), st.integers(0, 6), st.sampled_from([AMS_WH, TIL_WH]))
receipts = st.dictionaries(st.sampled_from(PRODUCTS), receipt)
lines = st.lists(
    st.builds(
        QuoteLine,
        product_id=st.sampled_from(PRODUCTS),
        quantity=st.integers(0, 8),
        weight_grams=st.integers(0, 600),
    ),
    max_size=4,
)
scenario = st.fixed_dictionaries(
    {
        "now": moments,
        "stock": stock,
        "receipts": receipts,
        "lines": lines,
        "destination": st.sampled_from(DESTINATIONS),
        "preference": st.sampled_from([(AMS_WH, TIL_WH), (TIL_WH,), (AMS_WH, TIL_WH, ANT_WH)]),
        "handling_days": st.integers(0, 3),
    }
)


def _quote(s, *, ship_complete=False, now=None):
    today = s["now"].date()
    dated = {p: (today + timedelta(days=offset), qty, wh) for p, (offset, qty, wh) in s["receipts"].items()}
    promise = data(s["stock"], dated, preference=s["preference"], holidays=HOLIDAYS, handling_days=s["handling_days"])
    country, postcode = s["destination"]
    req = request(*s["lines"], now=now or s["now"], country=country, postal_code=postcode, ship_complete=ship_complete)
    return build_quote(req, promise)


@EXAMPLES
@given(scenario)
def test_build_quote_accounts_for_every_unit_and_never_promises_more_than_is_there(s):
    quote = _quote(s)

    for line, answer in zip(s["lines"], quote.lines, strict=True):
        assert answer.quantity_in_stock + answer.quantity_backordered == line.quantity
    pairs = list(zip(s["lines"], quote.lines, strict=True))
    for product in PRODUCTS:
        promised = sum(a.quantity_in_stock for line, a in pairs if line.product_id == product)
        there = sum(s["stock"].get(product, {}).get(wh, 0) for wh in s["preference"])
        assert promised <= there


@EXAMPLES
@given(scenario)
def test_build_quote_dates_are_ordered_and_fall_on_working_days(s):
    quote = _quote(s)
    country = s["destination"][0]
    closed_at_destination = HOLIDAYS.get(country, frozenset())

    assert s["now"].date() <= quote.ship_date < quote.first_delivery_date <= quote.delivery_date
    for line, answer in zip(s["lines"], quote.lines, strict=True):
        if line.quantity:
            assert quote.ship_date <= answer.ship_date < answer.delivery_date <= quote.delivery_date
        assert workdays.is_working_day(answer.delivery_date, closed_at_destination)
        assert workdays.is_working_day(answer.ship_date, frozenset())


@EXAMPLES
@given(scenario)
def test_build_quote_ship_complete_sends_one_date_and_never_arrives_earlier(s):
    available = _quote(s)
    complete = _quote(s, ship_complete=True)

    ship_dates = {a.ship_date for line, a in zip(s["lines"], complete.lines, strict=True) if line.quantity}
    if ANT_WH not in s["preference"]:  # one country: one calendar, one date
        assert len(ship_dates) <= 1
        assert complete.delivery_date == available.delivery_date
    assert complete.first_delivery_date >= available.first_delivery_date
    assert complete.delivery_date >= available.delivery_date
    assert complete.first_delivery_date == complete.delivery_date or ANT_WH in s["preference"]


@EXAMPLES
@given(scenario, st.integers(1, 72 * 60))
def test_build_quote_a_later_order_is_never_delivered_earlier(s, minutes_later):
    sooner = _quote(s)
    later = _quote(s, now=s["now"] + timedelta(minutes=minutes_later))

    assert later.ship_date >= sooner.ship_date
    assert later.delivery_date >= sooner.delivery_date
    assert later.first_delivery_date >= sooner.first_delivery_date
