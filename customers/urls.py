from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("<str:number>/", views.customer_detail, name="detail"),
    path("<str:number>/edit/", views.customer_edit, name="edit"),
    path("<str:number>/credit-hold/", views.customer_credit_hold, name="credit_hold"),
    path("<str:number>/ibans/", views.customer_iban_add, name="iban_add"),
    path("<str:number>/addresses/new/", views.address_add, name="address_add"),
    path("<str:number>/addresses/<int:address_id>/edit/", views.address_edit, name="address_edit"),
    path("<str:number>/addresses/<int:address_id>/default/", views.address_make_default, name="address_default"),
]
