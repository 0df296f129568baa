from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from billing import dashboards, exceptions, search_providers  # noqa: F401  (register panels and search)
        from oms import notify

        exceptions.register()
        for code, label in (
            ("invoice", "Invoice e-mail"),
            ("credit_note", "Credit note e-mail"),
            ("payment_reminder", "Payment reminder"),
        ):
            notify.register_kind(notify.NotificationKind(code, label))
