from django.urls import path

from billing import api, api_sync

urlpatterns = [
    path("orders/<str:number>/payments/", api.OrderPayments.as_view(), name="order-payments"),
    path("orders/<str:number>/payment-link/", api.OrderPaymentLink.as_view(), name="order-payment-link"),
    path("invoices/", api_sync.InvoiceList.as_view(), name="invoice-list"),
    path("payments/", api_sync.PaymentList.as_view(), name="payment-list"),
    path("invoices/<str:number>/", api.InvoiceDetail.as_view(), name="invoice-detail"),
    path("invoices/<str:number>/pdf/", api.InvoicePdf.as_view(), name="invoice-pdf"),
    path("invoices/<str:number>/ubl/", api.InvoiceUbl.as_view(), name="invoice-ubl"),
    path("bank-statements/", api.BankStatementImport.as_view(), name="bank-statements"),
    path("settlements/", api.SettlementImport.as_view(), name="settlements"),
]
