"""The role x URL permission matrix: every named URL of the project must be listed here.

Each app adds its routes in ``tests/<app>/routes.py`` as ``ROUTES = [Route(...), ...]``. A route
says which roles may use it (``ANY`` = any logged-in user, ``PUBLIC`` = no login), how to build
its URL arguments (a function taking the ``db``-enabled test's helper fixtures), and the method.
``manager`` may use everything, so it is always allowed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

ANY = "any"
PUBLIC = "public"
APPS = ["oms", "customers", "inventory", "orders", "purchasing", "billing", "shipping"]

# URL names that are not ours to test here: Django admin (staff flag), API docs, auth views.
EXEMPT_PREFIXES = ("admin:",)
EXEMPT = {"api-schema", "api-docs", "login", "logout"}


@dataclass(frozen=True)
class Route:
    name: str
    roles: tuple[str, ...] | str
    kwargs: Callable[[], dict] | None = None
    method: str = "get"
    data: dict = field(default_factory=dict)
    api: bool = False

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.name}"


def all_routes() -> list[Route]:
    routes: list[Route] = []
    for app in APPS:
        try:
            module = importlib.import_module(f"tests.{app}.routes")
        except ModuleNotFoundError:
            continue
        routes.extend(module.ROUTES)
    return routes
