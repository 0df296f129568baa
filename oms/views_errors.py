"""Django's error views, answering problem+json on the API (``oms.input_guard.is_api``) and
Django's own pages on the screens. Django calls them for what escapes a view: a body too large
or with too many fields (``SuspiciousOperation``: 400), a 404 from the URL resolver, an
uncaught exception (500). An API client never gets an HTML error page."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.views import defaults

from oms.input_guard import is_api, problem


def bad_request(request, exception=None, template_name="400.html"):
    if not is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return problem(413, "Request too large.", [{"field": None, "code": "too_large", "message": str(exception)}])
    message = "The request could not be read."
    return problem(400, "Invalid input.", [{"field": None, "code": "malformed_request", "message": message}])


def permission_denied(request, exception=None, template_name="403.html"):
    if not is_api(request):
        return defaults.permission_denied(request, exception)
    message = "You may not do this."
    return problem(
        403,
        "You do not have permission to perform this action.",
        [{"field": None, "code": "permission_denied", "message": message}],
    )


def page_not_found(request, exception=None, template_name="404.html"):
    if not is_api(request):
        return defaults.page_not_found(request, exception)
    return problem(404, "Not found.", [{"field": None, "code": "not_found", "message": "No such resource."}])


def server_error(request, template_name="500.html"):
    if not is_api(request):
        return defaults.server_error(request)
    message = "Something went wrong on our side; it has been logged."
    return problem(500, "Server error.", [{"field": None, "code": "server_error", "message": message}])
