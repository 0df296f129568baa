"""``/s/<token>/``: the customer's own order page (``shipping.views.customer_page``)."""

from django.urls import path

from shipping.views import customer_page

app_name = "status"

urlpatterns = [
    path("<str:token>/", customer_page.customer_page, name="page"),
    path(
        "<str:token>/returns/<str:number>/label.pdf",
        customer_page.customer_return_label,
        name="return_label",
    ),
]
