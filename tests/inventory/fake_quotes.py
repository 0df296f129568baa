"""A stand-in delivery-quote backend for the availability tests (settings point at it)."""

from datetime import date

from oms.delivery import DeliveryQuote, QuoteRequest

CALLS: list[QuoteRequest] = []


def quote_delivery(request: QuoteRequest) -> DeliveryQuote:
    CALLS.append(request)
    promised = date(2030, 1, 2)
    return DeliveryQuote(
        carrier_code="TEST",
        carrier_name="Test",
        service_code="std",
        shipping_net=0,
        ship_date=promised,
        delivery_date=promised,
        first_delivery_date=promised,
    )


def broken_quote(request):
    raise RuntimeError("carrier table missing")
