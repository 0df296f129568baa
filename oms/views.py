from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from oms import dashboards, health, search
from oms.htmx import is_partial
from oms.roles import Role, has_role, user_roles


@require_GET
def home(request):
    """The user's dashboard: the panels of their roles, each loaded with htmx on its own."""
    context = {
        "roles": sorted(user_roles(request.user)),
        "panels": dashboards.panels_for(request.user),
        "greeting_name": _greeting_name(request.user),
    }
    return render(request, "oms/home.html", context)


def _greeting_name(user) -> str:
    """The user's first name; a demo user's is the English name of its role (seed_demo_users),
    which is shown in the interface's language ("Klantenservice")."""
    name = user.get_short_name() or user.get_username()
    for role in Role:
        with translation.override("en"):
            english = str(role.label)
        if name == english:
            return str(role.label)
    return name


@require_GET
def dashboard_panel(request, key: str):
    """One dashboard panel (an htmx fragment): numbers linked to their lists, or a chart."""
    panel = dashboards.PANELS.get(key)
    if panel is None:
        raise Http404("No such dashboard panel.")
    if not has_role(request.user, *panel.roles):
        raise PermissionDenied("Your role may not see this panel.")
    return render(request, "oms/partials/_panel.html", {"panel": panel, "data": panel.compute(request.user)})


@require_GET
@vary_on_headers("HX-Request")
def search_view(request) -> HttpResponse:
    """``/search/?q=``: a typed record number opens the record; otherwise every kind's hits.
    As an htmx request (the header box as you type) it answers the suggestion list."""
    query = search.clean(request.GET.get("q", ""))
    if is_partial(request):
        groups = search.find(request.user, query, limit=search.SUGGEST_LIMIT)
        return render(request, "oms/partials/_search_suggest.html", {"q": query, "groups": groups})
    url = search.exact_url(request.user, query)
    if url:
        return redirect(url)
    groups = search.find(request.user, query, limit=search.PAGE_LIMIT)
    return render(request, "oms/search.html", {"q": query, "groups": groups})


@never_cache
@require_GET
@login_not_required
def health_view(request):
    """200 ``ok``; 200 ``degraded`` (broker or worker missing: orders are still accepted);
    503 ``down`` when the database cannot be reached."""
    status, checks = health.report()
    response = JsonResponse({"status": status, "checks": checks}, status=503 if status == health.DOWN else 200)
    if status == health.DOWN:
        response["Retry-After"] = "10"
    return response
