from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "purchasing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from purchasing import exceptions

        exceptions.register()
