from django.urls import path

from billing import api

urlpatterns = [
    path("orders/<str:number>/payments/", api.OrderPayments.as_view(), name="order-payments"),
    path("invoices/<str:number>/", api.InvoiceDetail.as_view(), name="invoice-detail"),
    path("invoices/<str:number>/pdf/", api.InvoicePdf.as_view(), name="invoice-pdf"),
    path("bank-statements/", api.BankStatementImport.as_view(), name="bank-statements"),
]
