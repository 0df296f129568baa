"""A stand-in delivery-quote backend for the availability tests (settings point at it)."""

from datetime import date

CALLS: list[dict] = []


def quote_delivery(*, lines, address):
    CALLS.append({"lines": lines, "address": address})
    return {"promised_delivery_date": date(2030, 1, 2)}


def broken_quote(**kwargs):
    raise RuntimeError("carrier table missing")
