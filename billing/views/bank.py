"""Bank statements on the accounting screens: upload a CAMT.053 or MT940 file (the counts, then
the matching screen), and the matching screen: each unmatched credit line with its ranked
suggestions, accepted with one key (``a``), split over invoices, booked to another account, or
landed on a provider settlement as its payout (``p``).
Each action on a line answers (htmx) with that line's row re-rendered."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from billing import bank_matching as matching
from billing import bankfiles, selectors
from billing.forms import BankLineBookForm, BankLineSplitForm, BankStatementUploadForm
from billing.models import BankStatementLine, ProviderSettlement
from billing.services import bank, settlements
from oms.errors import NotFound, OmsError, ValidationFailed, add_to_form
from oms.htmx import HtmxHttpRequest, is_partial
from oms.roles import Role, role_required

ACC = Role.ACCOUNTING
MATCHING = "billing/bank_matching.html"


@require_http_methods(["GET", "POST"])
@role_required(ACC)
def bank_statements(request: HtmxHttpRequest) -> HttpResponse:
    form = BankStatementUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > bankfiles.MAX_BYTES:
                raise ValidationFailed(_("The file is larger than 5 MB."), code="file_too_large", field="file")
            result = bank.bank_statement_import(content=upload.read(), file_name=upload.name, user=request.user)
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Statement %(id)s: %(lines)s lines, %(matched)s matched, %(unmatched)s to match, "
                    "%(again)s already imported."
                )
                % {
                    "id": result.statement.identifier,
                    "lines": result.lines,
                    "matched": result.matched,
                    "unmatched": result.unmatched,
                    "again": result.already_imported,
                },
            )
            return redirect("billing:bank_matching")
    context = {"form": form, "statements": selectors.bank_statement_list()}
    return render(request, "billing/bank_statements.html", context)


def _row_context(line: BankStatementLine, suggestions=None, payouts=None, **forms) -> dict:
    if line.status == "unmatched" and suggestions is None:
        suggestions, payouts = matching.suggestions(line), matching.payout_candidates([line])[line.pk]
    return {
        "line": line,
        "suggestions": suggestions or [],
        "payouts": payouts or [],
        "split_form": forms.get("split_form") or BankLineSplitForm(prefix=f"split-{line.pk}"),
        "book_form": forms.get("book_form")
        or BankLineBookForm(prefix=f"book-{line.pk}", accounts=selectors.bank_book_accounts()),
        "error": forms.get("error", ""),
    }


@require_http_methods(["GET"])
@role_required(ACC)
@vary_on_headers("HX-Request")
def bank_line_list(request: HtmxHttpRequest) -> HttpResponse:
    accounts = selectors.bank_book_accounts()
    lines = selectors.bank_lines_unmatched()
    # Read set-wise for all lines at once: the page's queries do not grow with its lines.
    suggestions, payouts = matching.suggestions_for(lines), matching.payout_candidates(lines)
    rows = [
        _row_context(
            line,
            suggestions[line.pk],
            payouts[line.pk],
            book_form=BankLineBookForm(prefix=f"book-{line.pk}", accounts=accounts),
        )
        for line in lines
    ]
    context = {"rows": rows, "waiting": selectors.bank_lines_unmatched_count()}
    return render(request, f"{MATCHING}#bank-lines" if is_partial(request) else MATCHING, context)


def _line_or_404(line_id: int) -> BankStatementLine:
    try:
        return selectors.bank_line_get(line_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _answer(request: HtmxHttpRequest, line_id: int, *, error: str = "", **forms) -> HttpResponse:
    line = _line_or_404(line_id)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("billing:bank_matching")
    response = render(request, f"{MATCHING}#bank-line", _row_context(line, error=error, **forms))
    if line.status != "unmatched":
        response["HX-Trigger"] = "bank-line-done"
    return response


@require_POST
@role_required(ACC)
def bank_line_accept(request: HtmxHttpRequest, line_id: int) -> HttpResponse:
    """Accept a suggestion: the line pays the invoice(s) posted as ``invoice`` (ids)."""
    line = _line_or_404(line_id)
    try:
        ids = [int(value) for value in request.POST.getlist("invoice")]
        bank.bank_line_accept(line=line, invoice_ids=ids, user=request.user)
    except ValueError:
        return _answer(request, line_id, error=_("Choose an invoice."))
    except OmsError as exc:
        return _answer(request, line_id, error=exc.message)
    return _answer(request, line_id)


@require_POST
@role_required(ACC)
def bank_line_settle(request: HtmxHttpRequest, line_id: int) -> HttpResponse:
    """The line is the payout of the provider settlement posted as ``settlement`` (its id)."""
    line = _line_or_404(line_id)
    try:
        settlement_id = int(request.POST.get("settlement", ""))
        settlements.settlement_payout_land(line_id=line.pk, settlement_id=settlement_id, user=request.user)
    except (ValueError, ProviderSettlement.DoesNotExist):
        return _answer(request, line_id, error=_("Choose a settlement."))
    except OmsError as exc:
        return _answer(request, line_id, error=exc.message)
    return _answer(request, line_id)


@require_POST
@role_required(ACC)
def bank_line_split(request: HtmxHttpRequest, line_id: int) -> HttpResponse:
    line = _line_or_404(line_id)
    form = BankLineSplitForm(request.POST, prefix=f"split-{line.pk}")
    if form.is_valid():
        numbers = [number for number, _ in form.cleaned_data["parts"]]
        invoices = selectors.invoice_ids_by_number(numbers)
        unknown = [n for n in numbers if n not in invoices]
        if unknown:
            form.add_error(None, _("Unknown invoice: %(numbers)s") % {"numbers": ", ".join(unknown)})
        else:
            parts = [(invoices[number], amount) for number, amount in form.cleaned_data["parts"]]
            try:
                bank.bank_line_split(line=line, parts=parts, user=request.user)
            except OmsError as exc:
                add_to_form(form, exc)
            else:
                return _answer(request, line_id)
    error = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    return _answer(request, line_id, error=error, split_form=form)


@require_POST
@role_required(ACC)
def bank_line_book(request: HtmxHttpRequest, line_id: int) -> HttpResponse:
    line = _line_or_404(line_id)
    form = BankLineBookForm(request.POST, prefix=f"book-{line.pk}", accounts=selectors.bank_book_accounts())
    if form.is_valid():
        try:
            bank.bank_line_book(
                line=line, account_code=form.cleaned_data["account"], memo=form.cleaned_data["memo"], user=request.user
            )
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            return _answer(request, line_id)
    error = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    return _answer(request, line_id, error=error, book_form=form)
