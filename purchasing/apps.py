from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "purchasing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from purchasing import dashboards, exceptions, search_providers  # noqa: F401  (register panels and search)

        exceptions.register()
