from django.apps import AppConfig


class OmsConfig(AppConfig):
    name = "oms"
    verbose_name = "OMS core"
    default_auto_field = "django.db.models.BigAutoField"
