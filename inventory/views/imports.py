"""CSV/XLSX import of products and stock counts: upload, then a progress bar that polls the
worker's progress, then the per-row error report."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from inventory import selectors, services
from inventory.forms import ImportForm
from inventory.models import ImportStatus
from inventory.services.imports import MAX_BYTES
from oms.errors import NotFound, OmsError, ValidationFailed, add_to_form
from oms.htmx import is_partial
from oms.roles import Role, role_required


@require_http_methods(["GET", "POST"])
@role_required(Role.WAREHOUSE)
def import_upload(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_BYTES:  # before reading it into memory
                raise ValidationFailed("The file is larger than 5 MB; split it.", code="file_too_large", field="file")
            job = services.import_job_create(
                kind=form.cleaned_data["kind"], file_name=upload.name, content=upload.read(), user=request.user
            )
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            return redirect("inventory:import_detail", pk=job.pk)
    return render(request, "inventory/import_upload.html", {"form": form, "jobs": selectors.import_jobs_recent()})


@require_GET
@role_required(Role.WAREHOUSE)
@vary_on_headers("HX-Request")
def import_detail(request, pk: int):
    try:
        job = selectors.import_job_get(pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    context = {"job": job, "running": not job.finished, "refused": job.status == ImportStatus.FAILED}
    template = "inventory/import_detail.html"
    return render(request, f"{template}#import-progress" if is_partial(request) else template, context)
