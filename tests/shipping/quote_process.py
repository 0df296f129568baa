"""Another process with its own quote cache, for ``test_quote_cache``: on each line read from
stdin it quotes one parcel of ``product`` allocated in ``warehouse`` and prints the charge and
the number of queries the quote cost.

    python -m tests.shipping.quote_process <product id> <warehouse id>
"""

import sys

import django


def main() -> None:
    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from oms.delivery import QuoteLine, QuoteRequest
    from shipping.quotes import quote_delivery

    product, warehouse = (int(arg) for arg in sys.argv[1:3])
    request = QuoteRequest(lines=(QuoteLine(product, 1, 100, allocations=((warehouse, 1),)),), postal_code="3511 AB")
    for _ in sys.stdin:
        with CaptureQueriesContext(connection) as captured:
            quote = quote_delivery(request)
        print(quote.shipping_net, len(captured), flush=True)


if __name__ == "__main__":
    main()
