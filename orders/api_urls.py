from django.urls import path

from orders import api

urlpatterns = [
    path("orders/", api.OrderListCreate.as_view(), name="order-list"),
    path("orders/<str:number>/", api.OrderDetail.as_view(), name="order-detail"),
    path("delivery-options/", api.DeliveryOptionList.as_view(), name="delivery-option-list"),
    path("orders/<str:number>/cancel/", api.OrderCancel.as_view(), name="order-cancel"),
]
