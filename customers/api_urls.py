from django.urls import path

from customers import api

urlpatterns = [
    path("customers/", api.CustomerListCreate.as_view(), name="customer-list"),
    path("customers/<str:number>/", api.CustomerDetail.as_view(), name="customer-detail"),
]
