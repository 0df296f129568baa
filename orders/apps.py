from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from orders import dashboards, exceptions, notifications, search_providers  # noqa: F401  (register panels and search)

        exceptions.register()
        notifications.register()
