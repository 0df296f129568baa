from tests.routes import ANY, PUBLIC, Route

ROUTES = [
    Route("home", ANY),
    Route("health", PUBLIC),
]
