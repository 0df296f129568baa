from tests.routes import ANY, PUBLIC, Route

ROUTES = [
    Route("home", ANY),
    Route("search", ANY),
    Route("dashboard_panel", ("customer_service",), kwargs=lambda: {"key": "orders.today"}),
    Route("health", PUBLIC),
]
