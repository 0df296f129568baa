"""Accounting screens: invoices (list, page, PDF, credit), sending unsent invoices with a
progress bar, the journal, the trial balance, receivables ageing and CSV exports. One view
serves a page and its htmx fragment."""

from __future__ import annotations

import io

from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from billing import export, selectors, services, ubl, xaf
from billing.documents import payment_statement
from billing.forms import (
    AsOfForm,
    CreditForm,
    DayForm,
    InvoiceFilterForm,
    JournalFilterForm,
    LockDateForm,
    PeriodForm,
    QuarterForm,
)
from billing.models import Invoice
from billing.services import delivery
from oms.errors import NotFound, OmsError, add_to_form
from oms.exports import csv_lines
from oms.htmx import HtmxHttpRequest, is_partial
from oms.money import ZERO, rate_label
from oms.numbers import plain_int
from oms.pagination import paginate
from oms.roles import Role, has_role, role_required

ACC, CS = Role.ACCOUNTING, Role.CUSTOMER_SERVICE


def _invoice_or_404(number: str) -> Invoice:
    try:
        return selectors.invoice_get_by_number(number)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _render(request: HtmxHttpRequest, template: str, partial: str, context: dict) -> HttpResponse:
    return render(request, f"{template}#{partial}" if is_partial(request) else template, context)


@require_GET
@role_required(ACC, CS)
@vary_on_headers("HX-Request")
def invoice_list(request: HtmxHttpRequest) -> HttpResponse:
    form = InvoiceFilterForm(request.GET or None)
    page = paginate(selectors.invoice_list(**form.filters()), request.GET, per_page=50, hx_target="#invoice-table")
    context = {
        "form": form,
        "page": page,
        "invoices": page.rows,
        "can_account": has_role(request.user, ACC),
        "unsent": selectors.unsent_invoice_count() if has_role(request.user, ACC) else 0,
    }
    return _render(request, "billing/invoice_list.html", "invoice-table", context)


@require_GET
@role_required(ACC, CS)
def invoice_detail(request: HtmxHttpRequest, number: str) -> HttpResponse:
    invoice = _invoice_or_404(number)
    can_credit = has_role(request.user, ACC) and invoice.can_credit()
    payments = selectors.invoice_payments(invoice)
    statement = payment_statement(invoice, payments)
    context = {
        "invoice": invoice,
        "can_credit": can_credit,
        "can_account": has_role(request.user, ACC),
        "payments": payments,
        "payment": statement,
        "paid_how": statement.methods_nl if (get_language() or "").startswith("nl") else statement.methods_en,
    }
    return render(request, "billing/invoice_detail.html", context)


@require_GET
@role_required(ACC, CS)
def invoice_pdf(request: HtmxHttpRequest, number: str) -> HttpResponse:
    """The stored PDF; when the worker has not rendered it yet, render (and store) it now."""
    invoice = _invoice_or_404(number)
    data = delivery.invoice_pdf_content(invoice_id=invoice.pk)
    return FileResponse(io.BytesIO(data), content_type="application/pdf", filename=f"{invoice.number}.pdf")


@require_GET
@role_required(ACC, CS)
def invoice_ubl(request: HtmxHttpRequest, number: str) -> HttpResponse:
    """The e-invoice: the invoice or credit note as UBL 2.1 XML (``billing.ubl``)."""
    invoice = _invoice_or_404(number)
    response = HttpResponse(ubl.invoice_ubl_bytes(invoice), content_type=ubl.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{ubl.invoice_ubl_filename(invoice)}"'
    return response


@require_http_methods(["GET", "POST"])
@role_required(ACC)
@vary_on_headers("HX-Request")
def invoice_credit(request: HtmxHttpRequest, number: str) -> HttpResponse:
    invoice = _invoice_or_404(number)
    remaining = selectors.invoice_creditable_quantities(invoice)
    form = CreditForm(request.POST or None, lines=invoice.lines.all(), remaining=remaining)
    if request.method == "POST" and form.is_valid():
        try:
            note = services.invoice_credit(
                invoice=invoice, lines=form.credit_lines(), reason=form.cleaned_data["reason"], user=request.user
            )
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            url = reverse("billing:invoice_detail", kwargs={"number": note.number})
            return HttpResponseClientRedirect(url) if is_partial(request) else redirect(url)
    return _render(request, "billing/invoice_credit.html", "credit-form", {"invoice": invoice, "form": form})


@require_POST
@role_required(ACC)
def invoice_send_unsent(request: HtmxHttpRequest) -> HttpResponse:
    from django.contrib import messages

    try:
        batch = services.invoice_send_batch_start(user=request.user)
    except OmsError as exc:
        messages.info(request, exc.message)
        url = reverse("billing:invoices")
    else:
        url = reverse("billing:send_batch", kwargs={"batch_id": batch.pk})
    return HttpResponseClientRedirect(url) if is_partial(request) else redirect(url)


@require_GET
@role_required(ACC)
@vary_on_headers("HX-Request")
def send_batch(request: HtmxHttpRequest, batch_id: int) -> HttpResponse:
    try:
        progress = selectors.send_batch_progress(batch_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return _render(request, "billing/send_batch.html", "batch-progress", {"progress": progress})


@require_GET
@role_required(ACC)
@vary_on_headers("HX-Request")
def journal(request: HtmxHttpRequest) -> HttpResponse:
    form = JournalFilterForm(request.GET or None)
    date_from, date_to = form.period()
    data = form.cleaned_data if form.is_valid() else {}
    entries = selectors.journal_entries(
        date_from=date_from, date_to=date_to, account=data.get("account", ""), query=data.get("q", "")
    )
    page = paginate(entries, request.GET, per_page=25, hx_target="#journal-entries")
    context = {"form": form, "page": page, "entries": page.rows, "date_from": date_from, "date_to": date_to}
    return _render(request, "billing/journal.html", "journal-entries", context)


def _csv_response(rows, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@role_required(ACC)
def journal_export(request: HtmxHttpRequest) -> StreamingHttpResponse:
    date_from, date_to = PeriodForm(request.GET or None).period()
    return _csv_response(export.journal_rows(date_from, date_to), f"journal-{date_from}-{date_to}.csv")


@require_GET
@role_required(ACC)
def journal_auditfile(request: HtmxHttpRequest) -> StreamingHttpResponse:
    """The XAF 3.2 audit file of the period, streamed (``billing.xaf``). ``?year=2026`` gives the
    whole fiscal year; else the journal's period, cut to the fiscal year it starts in."""
    date_from, date_to = PeriodForm(request.GET or None).period()
    year = plain_int(request.GET.get("year", ""))
    if year is not None and 2000 <= year <= 2999:
        date_from, date_to = xaf.period_of_year(year)
    date_to = min(date_to, date_from.replace(month=12, day=31))
    chunks = xaf.auditfile_chunks(year=date_from.year, date_from=date_from, date_to=date_to)
    response = StreamingHttpResponse(chunks, content_type=xaf.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{xaf.auditfile_name(date_from, date_to)}"'
    return response


@require_GET
@role_required(ACC)
def invoices_export(request: HtmxHttpRequest) -> StreamingHttpResponse:
    date_from, date_to = PeriodForm(request.GET or None).period()
    return _csv_response(export.invoice_rows(date_from, date_to), f"invoices-{date_from}-{date_to}.csv")


@require_GET
@role_required(ACC)
def trial_balance(request: HtmxHttpRequest) -> HttpResponse:
    form = AsOfForm(request.GET or None)
    as_of = form.as_of_date()
    rows, totals = selectors.trial_balance(as_of=as_of)
    return render(request, "billing/trial_balance.html", {"form": form, "as_of": as_of, "rows": rows, "totals": totals})


@require_GET
@role_required(ACC)
@vary_on_headers("HX-Request")
def receivables(request: HtmxHttpRequest) -> HttpResponse:
    form = AsOfForm(request.GET or None)
    as_of = form.as_of_date()
    page = paginate(selectors.receivables_ageing(as_of=as_of), request.GET, per_page=50, hx_target="#receivables-table")
    context = {
        "form": form,
        "as_of": as_of,
        "page": page,
        "rows": selectors.with_customers(page.rows),
        "totals": selectors.ageing_totals(as_of),
        "ledger_balance": selectors.receivables_balance(),
    }
    return _render(request, "billing/receivables.html", "receivables-table", context)


@require_GET
@role_required(ACC)
@vary_on_headers("HX-Request")
def payment_list(request: HtmxHttpRequest) -> HttpResponse:
    """Money received on one day (``?date=YYYY-MM-DD``, default today): what the accounting
    dashboard's "cash received today" counts."""
    form = DayForm(request.GET or None)
    day = form.day()
    count, total = selectors.cash_received(day)
    page = paginate(selectors.payments_on(day), request.GET, per_page=50, hx_target="#payment-table")
    context = {"form": form, "day": day, "page": page, "payments": page.rows, "count": count, "total": total}
    return _render(request, "billing/payment_list.html", "payment-table", context)


@require_http_methods(["GET", "POST"])
@role_required(ACC)
def lock_date(request: HtmxHttpRequest) -> HttpResponse:
    """The lock date: accounting closes a period so that nothing is posted into it any more."""
    from django.contrib import messages
    from django.utils.translation import gettext as _

    current = services.ledger_lock_date()
    form = LockDateForm(request.POST or None, initial={"lock_date": current})
    if request.method == "POST" and form.is_valid():
        try:
            services.ledger_lock_set(lock_date=form.cleaned_data["lock_date"], user=request.user)
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Lock date saved."))
            return redirect("billing:lock_date")
    return render(request, "billing/lock_date.html", {"form": form, "current": current})


@require_GET
@role_required(ACC)
def oss_report(request: HtmxHttpRequest) -> HttpResponse:
    """The OSS return of a quarter: per EU member state and rate, taxable amount and VAT."""
    form = QuarterForm(request.GET or None)
    year, quarter = form.year_quarter()
    rows = selectors.oss_quarter(year, quarter)
    context = {
        "form": form,
        "year": year,
        "quarter": quarter,
        "rows": rows,
        "total_net": sum((row.net for row in rows), ZERO),
        "total_vat": sum((row.vat for row in rows), ZERO),
    }
    return render(request, "billing/oss_report.html", context)


@require_GET
@role_required(ACC)
def oss_export(request: HtmxHttpRequest) -> StreamingHttpResponse:
    year, quarter = QuarterForm(request.GET or None).year_quarter()
    header = [["country", "rate", "taxable_amount", "vat", "documents"]]
    rows = [
        [r.country, rate_label(r.rate), f"{r.net:.2f}", f"{r.vat:.2f}", r.documents]
        for r in selectors.oss_quarter(year, quarter)
    ]
    return _csv_response(header + rows, f"oss-{year}-Q{quarter}.csv")
