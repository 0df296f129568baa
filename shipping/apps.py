from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "shipping"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from oms import notify
        from shipping import dashboards, exceptions, search_providers  # noqa: F401  (register panels and search)

        exceptions.register()
        notify.register_kind(notify.NotificationKind("shipment_handed_off", "Shipped (tracking)"))
        notify.register_kind(notify.NotificationKind("shipment_delivered", "Delivered notice"))
        from shipping.services import return_labels  # the return label's delivery kind and e-mail

        notify.register_kind(
            notify.NotificationKind(return_labels.LABEL_EMAIL, "Return label", return_labels.render_label_email)
        )
