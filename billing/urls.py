from django.urls import path

from billing.views import accounting, bank, counter, payments, settlements

app_name = "billing"

urlpatterns = [
    path("invoices/", accounting.invoice_list, name="invoices"),
    path("invoices/export.csv", accounting.invoices_export, name="invoices_export"),
    path("invoices/send/", accounting.invoice_send_unsent, name="send_unsent"),
    path("invoices/send/<int:batch_id>/", accounting.send_batch, name="send_batch"),
    path("invoices/<str:number>/", accounting.invoice_detail, name="invoice_detail"),
    path("invoices/<str:number>/pdf/", accounting.invoice_pdf, name="invoice_pdf"),
    path("invoices/<str:number>/ubl/", accounting.invoice_ubl, name="invoice_ubl"),
    path("invoices/<str:number>/credit/", accounting.invoice_credit, name="invoice_credit"),
    path("payments/", accounting.payment_list, name="payments"),
    path("journal/", accounting.journal, name="journal"),
    path("journal/export.csv", accounting.journal_export, name="journal_export"),
    path("lock-date/", accounting.lock_date, name="lock_date"),
    path("journal/auditfile.xaf", accounting.journal_auditfile, name="journal_auditfile"),
    path("trial-balance/", accounting.trial_balance, name="trial_balance"),
    path("receivables/", accounting.receivables, name="receivables"),
    path("oss/", accounting.oss_report, name="oss_report"),
    path("oss/export.csv", accounting.oss_export, name="oss_export"),
    path("customers/<int:customer_id>/panel/", payments.customer_panel, name="customer_panel"),
    path("customers/<int:customer_id>/payments/", payments.customer_payment, name="customer_payment"),
    path("orders/<int:order_id>/panel/", payments.order_panel, name="order_panel"),
    path("orders/<int:order_id>/invoice/", payments.order_invoice, name="order_invoice"),
    path("orders/<int:order_id>/payments/", payments.order_payment, name="order_payment"),
    path("orders/<int:order_id>/payment-link/", payments.order_payment_link_new, name="order_payment_link_new"),
    path("orders/<int:order_id>/payment-link/send/", payments.order_payment_link_send, name="order_payment_link_send"),
    path("payments/<int:payment_id>/refund/", payments.payment_refund, name="payment_refund"),
    path("bank-statements/", bank.bank_statements, name="bank_statements"),
    path("settlements/", settlements.settlement_list, name="settlements"),
    path("settlements/mollie/", settlements.settlement_mollie_import, name="settlement_mollie_import"),
    path("bank-statements/matching/", bank.bank_line_list, name="bank_matching"),
    path("bank-statements/lines/<int:line_id>/accept/", bank.bank_line_accept, name="bank_line_accept"),
    path("bank-statements/lines/<int:line_id>/settle/", bank.bank_line_settle, name="bank_line_settle"),
    path("bank-statements/lines/<int:line_id>/split/", bank.bank_line_split, name="bank_line_split"),
    path("bank-statements/lines/<int:line_id>/book/", bank.bank_line_book, name="bank_line_book"),
    path("counter/", counter.counter, name="counter"),
    path("counter/checkout/", counter.counter_checkout, name="counter_checkout"),
    path("counter/receipt/<str:number>/", counter.counter_receipt, name="counter_receipt"),
]
