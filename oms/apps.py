from django.apps import AppConfig


class OmsConfig(AppConfig):
    name = "oms"
    verbose_name = "OMS core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from oms import audit, exceptions, notify, webhooks

        audit.install()
        exceptions.register_builtin_rules()
        exceptions.register_dashboard_panel()
        notify.register_rules()
        webhooks.register_inbox_rule()
