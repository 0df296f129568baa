"""The main menu: one table of (label, URL name, icon, roles). Entries whose URL does not exist
yet are skipped, so an app adds its pages here without touching the base template. The base
template translates the labels ({% translate item.label %}); gettext_noop only puts them in the
catalogue."""

from django.utils.translation import gettext_noop

from oms.roles import Role

CS, WH, PU, AC, MG = Role.CUSTOMER_SERVICE, Role.WAREHOUSE, Role.PURCHASING, Role.ACCOUNTING, Role.MANAGER

MENU = [
    (gettext_noop("Home"), "home", "house", None),
    (gettext_noop("Phone order"), "orders:enter", "telephone", (CS,)),
    (gettext_noop("Orders"), "orders:list", "receipt", (CS, WH, AC)),
    (gettext_noop("Customers"), "customers:list", "people", (CS, AC)),
    (gettext_noop("Stock"), "inventory:stock", "box-seam", (WH, PU, CS)),
    (gettext_noop("Pick & pack"), "shipping:pick_queue", "truck", (WH,)),
    (gettext_noop("Shipments & returns"), "shipping:shipments", "send", (CS,)),
    (gettext_noop("Carriers & rates"), "shipping:carriers", "signpost-split", (WH,)),
    (gettext_noop("Purchasing"), "purchasing:requests", "cart", (PU,)),
    (gettext_noop("Goods receipt"), "purchasing:receipts", "box-arrow-in-down", (WH,)),
    (gettext_noop("Counter sale"), "billing:counter", "shop", (CS, AC)),
    (gettext_noop("Accounting"), "billing:invoices", "journal-text", (AC,)),
    (gettext_noop("Locked logins"), "lockouts", "shield-lock", (MG,)),
    (gettext_noop("Exceptions"), "oms:exceptions", "exclamation-triangle", (CS, WH, PU, AC)),
    # in the admin: create (the token shown once), last use, revoke (API.md 1.1)
    (gettext_noop("Webhooks"), "webhooks:list", "broadcast", (MG,)),
    (gettext_noop("API clients"), "admin:oms_apiclient_changelist", "key", (MG,)),
]
