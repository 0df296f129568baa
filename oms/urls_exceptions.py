from django.urls import path

from oms import views_exceptions as views

app_name = "oms"

urlpatterns = [
    path("", views.exception_list, name="exceptions"),
    path("refresh/", views.exceptions_refresh, name="exceptions_refresh"),
    path("<int:item_id>/resolve/", views.exception_resolve, name="exception_resolve"),
    path("<int:item_id>/retry/", views.exception_retry, name="exception_retry"),
]
