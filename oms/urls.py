from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from oms import views, views_accounts

api_v1 = [
    path("", include("orders.api_urls")),  # first: the webshop's orders are the busiest route
    path("", include("inventory.api_urls")),
    path("", include("customers.api_urls")),
    path("", include("billing.api_urls")),
    path("", include("shipping.api_urls")),
    path("", include("purchasing.api_urls")),
    path("", include("oms.api_urls")),
]

urlpatterns = [
    # first, so an API call is resolved before the screens' patterns are tried (none overlap)
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("", views.home, name="home"),
    path("dashboard/<str:key>/", views.dashboard_panel, name="dashboard_panel"),
    path("search/", views.search_view, name="search"),
    path("health/", views.health_view, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/lockouts/", views_accounts.lockout_list, name="lockouts"),
    path("accounts/lockouts/<int:attempt_id>/unlock/", views_accounts.lockout_release, name="lockout_release"),
    # before the admin's own URLs: its login page sends to ours (throttled, one door)
    path("admin/login/", views_accounts.admin_login),
    path("admin/", admin.site.urls),
    path("exceptions/", include("oms.urls_exceptions")),
    path("integrations/webhooks/", include("oms.urls_webhooks")),
    path("customers/", include("customers.urls")),
    path("inventory/", include("inventory.urls")),
    path("orders/", include("orders.urls")),
    path("purchasing/", include("purchasing.urls")),
    path("billing/", include("billing.urls")),
    path("shipping/", include("shipping.urls")),
    path("webhooks/carriers/", include("shipping.webhook_urls")),
    # The customer's own order page (no login) and its documents.
    path("s/", include("shipping.status_urls")),
    path("s/", include("billing.status_urls")),
    path("webhooks/", include("billing.webhook_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # the split view serves its start-up script as a file (no inline script: CSP)
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "oms.views_errors.bad_request"
handler403 = "oms.views_errors.permission_denied"
handler404 = "oms.views_errors.page_not_found"
handler500 = "oms.views_errors.server_error"
