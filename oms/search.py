"""The header search: one box that finds orders, customers, invoices, shipments and purchase
orders. Each app registers a provider here (in its ``AppConfig.ready()``), so ``oms`` imports
no app:

    @search.register("orders", "Orders", roles=(CS, WH, ACC), order=20, exact=order_url_by_number)
    def find_orders(query: str, limit: int) -> list[search.Hit]: ...

A provider answers only users whose role may open its list (``manager`` all). ``find`` must be
a few indexed queries whatever the table size (numbers exact or by prefix, names and e-mail
through customers' trigram index). ``exact`` takes a typed record number (``SO-000123``) and
returns the record's URL, or None: the full results page jumps straight there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from oms.roles import has_role

MAX_QUERY = 100
SUGGEST_LIMIT = 5
PAGE_LIMIT = 20


@dataclass(frozen=True)
class Hit:
    title: str
    subtitle: str
    url: str


@dataclass(frozen=True)
class Provider:
    kind: str
    label: str
    roles: tuple[str, ...]
    find: Callable[[str, int], list[Hit]]
    exact: Callable[[str], str | None] | None = None
    order: int = 100


@dataclass
class Group:
    kind: str
    label: str
    hits: list[Hit]


PROVIDERS: dict[str, Provider] = {}


def register(
    kind: str, label: str, *, roles: tuple[str, ...], order: int = 100, exact: Callable[[str], str | None] | None = None
) -> Callable:
    def decorator(find: Callable[[str, int], list[Hit]]) -> Callable[[str, int], list[Hit]]:
        PROVIDERS[kind] = Provider(kind=kind, label=label, roles=tuple(roles), find=find, exact=exact, order=order)
        return find

    return decorator


def providers_for(user) -> list[Provider]:
    return sorted((p for p in PROVIDERS.values() if has_role(user, *p.roles)), key=lambda p: (p.order, p.kind))


def clean(query: str) -> str:
    return " ".join((query or "").split())[:MAX_QUERY]


def find(user, query: str, *, limit: int = SUGGEST_LIMIT) -> list[Group]:
    """Hits per kind the user may see (kinds without hits left out)."""
    query = clean(query)
    if len(query) < 2:
        return []
    groups = []
    for provider in providers_for(user):
        hits = provider.find(query, limit)
        if hits:
            groups.append(Group(kind=provider.kind, label=provider.label, hits=hits[:limit]))
    return groups


def exact_url(user, query: str) -> str | None:
    """The URL of the record whose number was typed (``SO-000123``), if the user may see it."""
    query = clean(query)
    if not query or " " in query:
        return None
    for provider in providers_for(user):
        if provider.exact is not None:
            url = provider.exact(query)
            if url:
                return url
    return None
