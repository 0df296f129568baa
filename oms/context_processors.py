from django.urls import NoReverseMatch, reverse

from oms.navigation import MENU
from oms.roles import Role, has_role, user_roles


def navigation(request) -> dict:
    """The menu of the user's roles, once per request: an htmx answer renders several partials,
    and each would build it again (a reverse per entry)."""
    found = getattr(request, "_oms_navigation", None)
    if found is None:
        found = request._oms_navigation = _navigation(request)
    return found


def _navigation(request) -> dict:
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {"nav_items": [], "user_roles": frozenset(), "user_role_labels": []}
    items = []
    for label, url_name, icon, roles in MENU:
        if roles is not None and not has_role(user, *roles):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "icon": icon, "active": False})
    # One entry is highlighted: the one whose URL is the longest start of the path (the phone
    # order's /orders/enter/ is not also "Orders" at /orders/).
    path = request.path
    matches = [i for i in items if path == i["url"] or (i["url"] != "/" and path.startswith(i["url"]))]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    roles = user_roles(user)
    labels = dict(Role.choices)  # lazy: the header shows "Klantenservice" to a Dutch browser
    return {"nav_items": items, "user_roles": roles, "user_role_labels": [labels.get(r, r) for r in sorted(roles)]}
