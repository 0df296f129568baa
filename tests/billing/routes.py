"""Every billing URL and the roles that may use it (see tests/routes.py)."""

from oms.roles import Role
from tests.factories.billing import issue
from tests.routes import Route

CS, ACC, API = Role.CUSTOMER_SERVICE, Role.ACCOUNTING, Role.API_CLIENT


def _number() -> dict:
    return {"number": issue().number}


def _customer() -> dict:
    return {"customer_id": issue().customer_id}


def _batch() -> dict:
    from django.contrib.auth import get_user_model

    from billing.models import SendBatch

    user = get_user_model().objects.create_user(username="batch-owner")
    return {"batch_id": SendBatch.objects.create(created_by=user).pk}


ROUTES = [
    Route("billing:invoices", (ACC, CS)),
    Route("billing:invoice_detail", (ACC, CS), kwargs=_number),
    Route("billing:invoice_pdf", (ACC, CS), kwargs=_number),
    Route("billing:invoice_credit", (ACC,), kwargs=_number),
    Route("billing:invoice_credit", (ACC,), kwargs=_number, method="post", data={"reason": "matrix"}),
    Route("billing:invoices_export", (ACC,)),
    Route("billing:send_unsent", (ACC,), method="post"),
    Route("billing:send_batch", (ACC,), kwargs=_batch),
    Route("billing:journal", (ACC,)),
    Route("billing:journal_export", (ACC,)),
    Route("billing:trial_balance", (ACC,)),
    Route("billing:receivables", (ACC,)),
    Route("billing:customer_panel", (ACC, CS), kwargs=_customer),
    Route("api:invoice-detail", (CS, ACC, API), kwargs=_number, api=True),
    Route("api:invoice-pdf", (CS, ACC, API), kwargs=_number, api=True),
]
