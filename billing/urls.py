from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/export.csv", views.invoices_export, name="invoices_export"),
    path("invoices/send/", views.invoice_send_unsent, name="send_unsent"),
    path("invoices/send/<int:batch_id>/", views.send_batch, name="send_batch"),
    path("invoices/<str:number>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<str:number>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<str:number>/credit/", views.invoice_credit, name="invoice_credit"),
    path("journal/", views.journal, name="journal"),
    path("journal/export.csv", views.journal_export, name="journal_export"),
    path("trial-balance/", views.trial_balance, name="trial_balance"),
    path("receivables/", views.receivables, name="receivables"),
    path("customers/<int:customer_id>/panel/", views.customer_panel, name="customer_panel"),
]
