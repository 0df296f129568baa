"""Provider settlements on the accounting screens: what the providers still owe (per provider
account, and since when), the settlements imported and whether their payout is on the bank, a CSV
upload for providers without an API, and fetching Mollie's settlements."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from billing import selectors, settlementfiles
from billing.forms import SettlementUploadForm
from billing.services import mollie_settlements, settlements
from oms.errors import OmsError, ValidationFailed, add_to_form
from oms.htmx import HtmxHttpRequest
from oms.roles import Role, role_required

ACC = Role.ACCOUNTING


def _summary(result: settlements.SettlementImportResult) -> str:
    text = _("%(new)s settlements imported, %(again)s imported before, %(landed)s payouts found on the bank.") % {
        "new": len(result.created),
        "again": result.already_imported,
        "landed": result.payouts_landed,
    }
    if result.waiting:
        text += " " + _("Waiting: %(list)s") % {"list": "; ".join(f"{i}: {why}" for i, why in result.waiting)}
    return text


@require_http_methods(["GET", "POST"])
@role_required(ACC)
def settlement_list(request: HtmxHttpRequest) -> HttpResponse:
    form = SettlementUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > settlementfiles.MAX_BYTES:
                raise ValidationFailed(_("The file is larger than 5 MB."), code="file_too_large", field="file")
            result = settlements.settlements_csv_import(
                provider=form.cleaned_data["provider"], content=upload.read(), user=request.user
            )
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _summary(result))
            return redirect("billing:settlements")
    context = {
        "form": form,
        "unsettled": selectors.provider_unsettled(),
        "settlements": selectors.settlement_list(),
        "mollie": bool(settings.OMS_MOLLIE_SETTLEMENTS.get("access_token")),
    }
    return render(request, "billing/settlements.html", context)


@require_POST
@role_required(ACC)
def settlement_mollie_import(request: HtmxHttpRequest) -> HttpResponse:
    """Fetch Mollie's settlements now (the provider is asked outside any transaction)."""
    try:
        result = mollie_settlements.mollie_settlements_import(user=request.user)
    except OmsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _summary(result))
    return redirect("billing:settlements")
