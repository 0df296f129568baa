from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "shipping"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from shipping import dashboards, search_providers  # noqa: F401  (register panels and search)
