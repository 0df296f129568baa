"""Checks for ``python manage.py check_invariants`` (registered in ``oms/invariants.py``)."""

from django.db.models import Count, Q

from customers.models import Address


def address_kinds_have_one_default() -> list[dict]:
    """Every kind of address a customer has (billing, shipping) has exactly one default: the
    partial unique index allows at most one, the services make sure there is one."""
    rows = (
        Address.objects.values("customer_id", "kind")
        .annotate(defaults=Count("id", filter=Q(is_default=True)))
        .exclude(defaults=1)
        .order_by("customer_id", "kind")[:100]
    )
    return [{"customer": r["customer_id"], "kind": r["kind"], "defaults": r["defaults"]} for r in rows]
