"""Every billing URL and the roles that may use it (see tests/routes.py)."""

from oms.roles import Role
from tests.factories.billing import issue
from tests.routes import PUBLIC, Route

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


def _order() -> dict:
    from tests.factories.orders import OrderFactory

    return {"order_id": OrderFactory().pk}


def _order_number() -> dict:
    from tests.factories.orders import OrderFactory

    return {"number": OrderFactory().number}


def _payment() -> dict:
    from billing.services import payment_record
    from tests.factories.orders import OrderFactory

    order = OrderFactory()
    return {
        "payment_id": payment_record(order=order, method="ideal", amount="5.00", reference="tr_m", user=None).payment.pk
    }


def _bank_line() -> dict:
    from datetime import date
    from decimal import Decimal

    from billing.models import BankStatement, BankStatementLine

    statement = BankStatement.objects.create(format="camt053", account="NL91ABNA0417164300", identifier="matrix")
    line = BankStatementLine.objects.create(
        statement=statement,
        account=statement.account,
        key="matrix-1",
        position=1,
        booking_date=date.today(),
        amount=Decimal("5.00"),
    )
    return {"line_id": line.pk}


PAYMENT = {"payment-method": "bank_transfer", "payment-amount": "1.00", "payment-reference": "matrix"}


def _customer_document():
    from orders.status_links import order_token
    from tests.factories.billing import issue
    from tests.factories.orders import OrderFactory

    order = OrderFactory()
    invoice = issue(order.customer, order=order)
    return {"token": order_token(order), "number": invoice.number}


ROUTES = [
    Route("billing:invoices", (ACC, CS)),
    Route("billing:invoice_detail", (ACC, CS), kwargs=_number),
    Route("billing:invoice_pdf", (ACC, CS), kwargs=_number),
    Route("billing:invoice_credit", (ACC,), kwargs=_number),
    Route("billing:invoice_credit", (ACC,), kwargs=_number, method="post", data={"reason": "matrix"}),
    Route("billing:invoices_export", (ACC,)),
    Route("billing:send_unsent", (ACC,), method="post"),
    Route("billing:send_batch", (ACC,), kwargs=_batch),
    Route("billing:payments", (ACC,)),
    Route("billing:lock_date", (ACC,)),
    Route("billing:lock_date", (ACC,), method="post", data={"lock_date": ""}),
    Route("billing:journal", (ACC,)),
    Route("billing:journal_export", (ACC,)),
    Route("billing:trial_balance", (ACC,)),
    Route("billing:receivables", (ACC,)),
    Route("billing:oss_report", (ACC,)),
    Route("billing:oss_export", (ACC,)),
    Route("billing:customer_panel", (ACC, CS), kwargs=_customer),
    Route("billing:customer_payment", (ACC,), kwargs=_customer, method="post", data=PAYMENT),
    Route("billing:order_panel", (ACC, CS), kwargs=_order),
    Route("billing:order_invoice", (ACC,), kwargs=_order, method="post", data={"basis": "ordered"}),
    Route("billing:order_payment", (ACC,), kwargs=_order, method="post", data=PAYMENT),
    Route("billing:order_payment_link_new", (ACC, CS), kwargs=_order, method="post"),
    Route("billing:order_payment_link_send", (ACC, CS), kwargs=_order, method="post"),
    Route("api:order-payment-link", (CS, API), kwargs=_order_number, method="post", api=True),
    Route("billing:payment_refund", (ACC,), kwargs=_payment, method="post", data={"amount": "1.00", "reference": "r"}),
    Route("billing:bank_statements", (ACC,)),
    Route("billing:bank_statements", (ACC,), method="post"),
    Route("billing:bank_matching", (ACC,)),
    Route("billing:bank_line_accept", (ACC,), kwargs=_bank_line, method="post", data={"invoice": "0"}),
    Route("billing:bank_line_split", (ACC,), kwargs=_bank_line, method="post", data={}),
    Route("billing:bank_line_book", (ACC,), kwargs=_bank_line, method="post", data={}),
    Route("billing:bank_line_settle", (ACC,), kwargs=_bank_line, method="post", data={"settlement": "0"}),
    Route("billing:settlements", (ACC,)),
    Route("billing:settlements", (ACC,), method="post"),
    Route("billing:settlement_mollie_import", (ACC,), method="post"),
    Route("billing:counter", (CS, ACC)),
    Route("billing:counter_checkout", (CS, ACC), method="post", data={"method": "pin"}),
    Route("billing:counter_receipt", (CS, ACC), kwargs=_number),
    Route("status_documents:document", PUBLIC, kwargs=_customer_document),
    Route("billing_webhooks:payment", PUBLIC, kwargs=lambda: {"provider": "mollie"}, method="post", data={"id": "!"}),
    Route("api:order-payments", (ACC, API), kwargs=_order_number, api=True),
    Route(
        "api:order-payments",
        (ACC, API),
        kwargs=_order_number,
        method="post",
        data={"method": "ideal", "amount": "1.00", "reference": "tr_matrix"},
        api=True,
    ),
    Route("api:invoice-detail", (CS, ACC, API), kwargs=_number, api=True),
    Route("api:bank-statements", (ACC, API), method="post", api=True),
    Route("api:settlements", (ACC, API), method="post", api=True),
    Route("api:invoice-pdf", (CS, ACC, API), kwargs=_number, api=True),
    Route("api:invoice-ubl", (CS, ACC, API), kwargs=_number, api=True),
    Route("api:invoice-list", (CS, ACC, API), api=True),
    Route("api:payment-list", (ACC, API), api=True),
    Route("billing:invoice_ubl", (ACC, CS), kwargs=_number),
    Route("billing:journal_auditfile", (ACC,)),
]
