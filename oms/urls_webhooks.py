from django.urls import path

from oms import views_webhooks as views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("new/", views.endpoint_new, name="new"),
    path("<int:endpoint_id>/", views.endpoint_detail, name="detail"),
    path("<int:endpoint_id>/toggle/", views.endpoint_toggle, name="toggle"),
    path("<int:endpoint_id>/delete/", views.endpoint_delete, name="delete"),
    path("<int:endpoint_id>/replay-failed/", views.replay_failed, name="replay_failed"),
    path("<int:endpoint_id>/deliveries/<int:delivery_id>/replay/", views.delivery_replay, name="replay"),
]
