from django.urls import path

from purchasing import views

app_name = "purchasing"

urlpatterns = [
    path("", views.request_queue, name="requests"),
    path("requests/order/", views.requests_order, name="requests_order"),
    path("requests/scan/", views.reorder_scan_run, name="scan"),
    path("requests/<int:pk>/quantity/", views.request_update, name="request_update"),
    path("requests/<int:pk>/dismiss/", views.request_dismiss, name="request_dismiss"),
    path("orders/", views.po_list, name="po_list"),
    path("orders/<str:number>/", views.po_detail, name="po_detail"),
    path("orders/<str:number>/send/", views.po_send, name="po_send"),
    path("orders/<str:number>/cancel/", views.po_cancel, name="po_cancel"),
    path("orders/<str:number>/reschedule/", views.po_reschedule, name="po_reschedule"),
    path("orders/<str:number>/resend/", views.po_document_resend, name="po_document_resend"),
    path("orders/<str:number>/lines/<int:line_id>/", views.po_line_update, name="po_line_update"),
    path("orders/<str:number>/pdf/", views.po_pdf, name="po_pdf"),
    path("receive/", views.receipt_queue, name="receipts"),
    path("receive/<str:number>/", views.receipt_create, name="receipt_create"),
    path("suppliers/", views.supplier_list, name="supplier_list"),
    path("suppliers/new/", views.supplier_edit, name="supplier_create"),
    path("suppliers/<int:pk>/", views.supplier_detail, name="supplier_detail"),
    path("suppliers/<int:pk>/edit/", views.supplier_edit, name="supplier_edit"),
    path("suppliers/<int:pk>/products/", views.supplier_product_save, name="supplier_product_save"),
    path(
        "suppliers/<int:pk>/products/<int:offer_id>/remove/",
        views.supplier_product_remove,
        name="supplier_product_remove",
    ),
]
