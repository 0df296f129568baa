"""Login-related screens: the admin's login sent to ours, and the managers' unlock screen."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from oms import auth
from oms.roles import Role, role_required


@login_not_required
def admin_login(request):
    """``/admin/login/``: the admin has no login form of its own, so the one door (throttled by
    axes, with the password rules) is ``/accounts/login/``; ``next`` is kept."""
    query = urlencode({"next": request.GET.get("next") or reverse("admin:index")})
    return HttpResponseRedirect(f"{reverse('login')}?{query}")


@require_GET
@role_required(Role.MANAGER)
def lockout_list(request):
    """The (username, address) pairs locked out after too many wrong passwords."""
    return render(request, "oms/lockouts.html", {"attempts": auth.lockout_list()})


@require_POST
@role_required(Role.MANAGER)
def lockout_release(request, attempt_id: int):
    released = auth.lockout_release(attempt_id=attempt_id, user=request.user)
    if released is None:
        messages.info(request, _("That login was no longer locked."))
    else:
        messages.success(
            request,
            _("%(username)s can log in again from %(address)s.")
            % {"username": released.username, "address": released.ip_address},
        )
    return redirect("lockouts")
