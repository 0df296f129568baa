from django.urls import path

from purchasing import api

urlpatterns = [
    path("purchase-orders/", api.PurchaseOrderList.as_view(), name="purchase-order-list"),
]
