"""The managers' webhook screen: endpoints (add, edit, enable/disable), each endpoint's delivery
log with its attempts, and replay of one delivery or of every failed one (``oms.webhooks``)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oms import webhooks
from oms.errors import NotFound, OmsError, add_to_form
from oms.models import WebhookDeliveryStatus
from oms.numbers import plain_int
from oms.roles import Role, role_required

LOG_PAGE_SIZE = 50


class EndpointForm(forms.Form):
    url = forms.CharField(label=gettext_lazy("URL"), max_length=500, help_text=gettext_lazy("Must be https."))
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=gettext_lazy("Event types"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every event type."),
    )
    enabled = forms.BooleanField(label=gettext_lazy("Enabled"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event_types"].choices = [(t, t) for t in webhooks.event_catalogue()]


def _endpoint(endpoint_id: int):
    try:
        return webhooks.endpoint_get(endpoint_id)
    except NotFound:
        raise Http404 from None


@require_GET
@role_required(Role.MANAGER)
def endpoint_list(request):
    return render(request, "oms/webhooks.html", {"endpoints": webhooks.endpoint_list()})


@require_http_methods(["GET", "POST"])
@role_required(Role.MANAGER)
def endpoint_new(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = webhooks.endpoint_create(**form.cleaned_data, user=request.user)
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            # the secret is shown on this answer only (never stored in the session or a redirect)
            return render(request, "oms/webhook_secret.html", {"endpoint": endpoint, "secret": secret})
    return render(request, "oms/webhook_form.html", {"form": form, "endpoint": None})


@require_http_methods(["GET", "POST"])
@role_required(Role.MANAGER)
def endpoint_detail(request, endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    initial = {k: getattr(endpoint, k) for k in ("url", "description", "event_types", "enabled")}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            webhooks.endpoint_update(endpoint_id=endpoint.pk, **form.cleaned_data)
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Webhook endpoint saved."))
            return redirect("webhooks:detail", endpoint.pk)
    status = request.GET.get("status", "")
    rows = webhooks.deliveries(endpoint.pk, status)
    before = request.GET.get("before", "")
    before_id = plain_int(before)
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    rows = list(rows[: LOG_PAGE_SIZE + 1])  # keyset pages: no count of a long log
    older = rows[LOG_PAGE_SIZE - 1].pk if len(rows) > LOG_PAGE_SIZE else None
    rows = rows[:LOG_PAGE_SIZE]
    log = webhooks.attempts_by_delivery([row.pk for row in rows])
    context = {
        "endpoint": endpoint,
        "form": form,
        "older": older,
        "deliveries": [(row, log[row.pk]) for row in rows],
        "status": status if status in WebhookDeliveryStatus.values else "",
        "statuses": WebhookDeliveryStatus.choices,
    }
    return render(request, "oms/webhook_detail.html", context)


@require_POST
@role_required(Role.MANAGER)
def endpoint_toggle(request, endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    webhooks.endpoint_update(endpoint_id=endpoint.pk, enabled=not endpoint.enabled)
    if endpoint.enabled:
        messages.success(request, _("Webhook endpoint disabled: events are kept for it until it is enabled."))
    else:
        messages.success(request, _("Webhook endpoint enabled."))
    return redirect("webhooks:detail", endpoint.pk)


@require_POST
@role_required(Role.MANAGER)
def endpoint_delete(request, endpoint_id: int):
    webhooks.endpoint_delete(endpoint_id=_endpoint(endpoint_id).pk)
    messages.success(request, _("Webhook endpoint deleted."))
    return redirect("webhooks:list")


@require_POST
@role_required(Role.MANAGER)
def delivery_replay(request, endpoint_id: int, delivery_id: int):
    endpoint = _endpoint(endpoint_id)
    try:
        webhooks.replay(delivery_id=delivery_id, endpoint_id=endpoint.pk)
    except NotFound:
        raise Http404 from None
    except OmsError as exc:
        messages.error(request, _("Enable the endpoint first.") if exc.code == "endpoint_disabled" else exc.message)
    else:
        messages.success(request, _("The delivery is sent again."))
    return redirect("webhooks:detail", endpoint.pk)


@require_POST
@role_required(Role.MANAGER)
def replay_failed(request, endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    try:
        count = webhooks.replay_failed(endpoint_id=endpoint.pk)
    except OmsError as exc:
        messages.error(request, _("Enable the endpoint first.") if exc.code == "endpoint_disabled" else exc.message)
    else:
        messages.success(request, _("%(count)s failed deliveries are sent again.") % {"count": count})
    return redirect("webhooks:detail", endpoint.pk)
