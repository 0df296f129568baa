"""Mollie's settlements, fetched through the official client (``mollie-api-python``) from the
documented v2 settlements API: ``GET /v2/settlements`` (newest first, paged by ``_links.next``),
then for each paid-out settlement not imported yet ``GET /v2/settlements/<id>/payments`` and
``/refunds``. The fees are the ``costs`` of the settlement's ``periods`` (``amountNet`` and
``amountVat``). The endpoint and the organization access token are in
``settings.OMS_MOLLIE_SETTLEMENTS``.

All network calls happen before and between the transactions, never inside one: each settlement
is stored by ``settlements.settlement_import_one`` in its own. One that cannot be stored (a
payment or refund not recorded here, a chargeback that makes the sums differ) is reported in
``waiting`` and fetched again on the next import.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

import requests
from django.conf import settings
from mollie.api.client import Client
from mollie.api.error import Error as MollieError

from billing.models import ProviderSettlement
from billing.services import settlements
from billing.settlementfiles import SettlementData
from oms.errors import OmsError, ValidationFailed
from oms.money import ZERO

PROVIDER = "mollie"


class MollieUnavailable(OmsError):
    code = "provider_unavailable"


def _client() -> Client:
    config = getattr(settings, "OMS_MOLLIE_SETTLEMENTS", {}) or {}
    if not config.get("access_token"):
        raise ValidationFailed("Mollie is not configured (OMS_MOLLIE_ACCESS_TOKEN).", code="not_configured")
    client = Client(api_endpoint=config.get("api_endpoint", ""), timeout=config.get("timeout", 10), retry=1)
    try:
        client.set_access_token(config["access_token"])
    except MollieError as exc:
        raise ValidationFailed(str(exc), code="not_configured") from exc
    return client


def _pages(listing):
    """Every object of a paged Mollie list, following ``_links.next``."""
    page = listing
    while page is not None:
        yield from page
        page = page.get_next() if page.has_next() else None


def _money(value: dict | None) -> Decimal:
    try:
        return Decimal(str((value or {}).get("value", "0"))).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, AttributeError):
        raise ValidationFailed("Mollie sent an amount that is not one.", code="invalid_answer") from None


def _fees(periods: dict | None) -> tuple[Decimal, Decimal]:
    net = vat = ZERO
    for months in (periods or {}).values():
        for period in (months or {}).values():
            for cost in period.get("costs") or []:
                net += _money(cost.get("amountNet"))
                vat += _money(cost.get("amountVat")) if cost.get("amountVat") else ZERO
    return net, vat


def _data(settlement) -> SettlementData:
    moment = settlement.settled_at or settlement.created_at or ""
    net, vat = _fees(settlement.periods)
    items = [(p.id, _money(p.amount)) for p in _pages(settlement.payments.list(limit=250))]
    items += [(r.id, -abs(_money(r.amount))) for r in _pages(settlement.refunds.list(limit=250))]
    return SettlementData(
        identifier=settlement.id,
        settled_on=date.fromisoformat(str(moment)[:10]),
        amount=_money(settlement.amount),
        bank_reference=settlement.reference or "",
        items=items,
        fees_amount=net,
        fees_vat=vat,
    )


def mollie_settlements_import(*, user) -> settlements.SettlementImportResult:
    """Fetch Mollie's paid-out settlements and store the new ones (see the module docstring),
    then land each new payout on its bank line. Raises ``ValidationFailed`` ``not_configured``
    and ``MollieUnavailable`` (network, an error answer, nonsense)."""
    client, result = _client(), settlements.SettlementImportResult()
    try:
        found = [s for s in _pages(client.settlements.list(limit=250)) if s.status == "paidout"]
        known = set(
            ProviderSettlement.objects.filter(provider=PROVIDER, identifier__in=[s.id for s in found]).values_list(
                "identifier", flat=True
            )
        )
        result.already_imported = len(known)
        for settlement in found:
            if settlement.id in known:
                continue
            _one(settlement, result, user)
    except (MollieError, requests.RequestException, KeyError, TypeError, ValueError) as exc:
        raise MollieUnavailable(f"Mollie could not be asked: {exc}") from exc
    result.payouts_landed = sum(
        1 for s in result.created if settlements.settlement_payout_find(settlement=s, user=user)
    )
    return result


def _one(settlement, result: settlements.SettlementImportResult, user) -> None:
    data = _data(settlement)
    try:
        stored, created = settlements.settlement_import_one(provider=PROVIDER, data=data, source="api", user=user)
    except OmsError as exc:
        result.waiting.append((settlement.id, exc.message))
        return
    if created:
        result.created.append(stored)
    else:
        result.already_imported += 1
