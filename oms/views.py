from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from oms import health
from oms.roles import user_roles


@require_GET
def home(request):
    return render(request, "oms/home.html", {"roles": sorted(user_roles(request.user))})


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
