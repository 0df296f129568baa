"""The main menu: one table of (label, URL name, icon, roles). Entries whose URL does not exist
yet are skipped, so an app adds its pages here without touching the base template."""

from oms.roles import Role

CS, WH, PU, AC, MG = Role.CUSTOMER_SERVICE, Role.WAREHOUSE, Role.PURCHASING, Role.ACCOUNTING, Role.MANAGER

MENU = [
    ("Home", "home", "house", None),
    ("Phone order", "orders:enter", "telephone", (CS,)),
    ("Orders", "orders:list", "receipt", (CS, WH, AC)),
    ("Customers", "customers:list", "people", (CS, AC)),
    ("Stock", "inventory:stock", "box-seam", (WH, PU, CS)),
    ("Pick & pack", "shipping:pick_queue", "truck", (WH,)),
    ("Shipments & returns", "shipping:shipments", "send", (CS,)),
    ("Carriers & rates", "shipping:carriers", "signpost-split", (WH,)),
    ("Purchasing", "purchasing:requests", "cart", (PU,)),
    ("Goods receipt", "purchasing:receipts", "box-arrow-in-down", (WH,)),
    ("Counter sale", "billing:counter", "shop", (CS, AC)),
    ("Accounting", "billing:invoices", "journal-text", (AC,)),
    ("Exceptions", "oms:exceptions", "exclamation-triangle", (CS, WH, PU, AC)),
]
