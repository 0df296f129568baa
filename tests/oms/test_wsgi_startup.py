"""The web entry point at start-up: every view loaded, and the garbage collector kept off it."""

from tests.support.processes import printed_by_new_process


def test_a_web_process_loads_every_view_at_start_and_the_collector_then_skips_them():
    # what a gunicorn worker does before its first request: import the WSGI application
    code = (
        "import gc, sys; import oms.wsgi; "
        "print(gc.get_freeze_count(), len(gc.get_objects()), "
        "'orders.api' in sys.modules, 'billing.views' in sys.modules)"
    )
    frozen, watched, order_api, billing_views = printed_by_new_process(code)[-1].split()
    # the views are there before any request asks for one
    assert (order_api, billing_views) == ("True", "True")
    # and a full collection walks what requests create, not the hundred thousand start-up objects
    assert int(frozen) > 100_000
    assert int(watched) * 20 < int(frozen)
