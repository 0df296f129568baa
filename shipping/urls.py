from django.urls import path

from shipping import views

app_name = "shipping"

urlpatterns = [
    path("carriers/", views.carrier_list, name="carriers"),
    path("carriers/new/", views.carrier_edit, name="carrier_new"),
    path("carriers/<int:carrier_id>/", views.carrier_edit, name="carrier_edit"),
    path("carriers/<int:carrier_id>/services/new/", views.service_edit, name="service_new"),
    path("carriers/<int:carrier_id>/services/<int:service_id>/", views.service_edit, name="service_edit"),
    path("rates/", views.rate_table, name="rates"),
    path("rates/<int:service_id>/<str:zone>/", views.rates_edit, name="rates_edit"),
    path("free-shipping/<str:zone>/", views.free_shipping_edit, name="free_shipping_edit"),
    path("holidays/", views.holiday_list, name="holidays"),
    path("holidays/load/", views.holidays_load, name="holidays_load"),
    path("holidays/<int:holiday_id>/delete/", views.holiday_delete, name="holiday_delete"),
]
