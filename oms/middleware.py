from functools import cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, PolicyParts
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from oms.errors import OmsError
from oms.input_guard import BadInput, check_text, is_api, problem_for

# The API authenticates with tokens inside DRF and answers 401 itself; webhooks and the
# health probe are called by machines. Everything else needs a logged-in user.
OPEN_PREFIXES = ("/api/", "/health/", "/static/", "/webhooks/")


class LoginRequiredMiddleware(DjangoLoginRequired):
    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(OPEN_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class InputGuardMiddleware:
    """Refuses a request whose path, query string or form fields carry a control character, or
    whose body is larger than Django would read (uploads excepted), before a view or a query
    sees it (``oms.input_guard``). The API gets 400/413 problem+json with the field; a screen
    gets a 400 page that names the field."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            _check_request(request)
        except BadInput as exc:
            return _refuse(request, exc)
        return self.get_response(request)

    def process_exception(self, request, exception):
        """A business error a screen did not catch (a record gone between two clicks) is its
        4xx page, not a 500; the API's own handler maps them before this is reached."""
        if isinstance(exception, OmsError):
            error = BadInput(exception.message, code=exception.code, field=exception.field, status=exception.status)
            return _refuse(request, error)
        return None


def _check_request(request) -> None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    is_upload = request.content_type == "multipart/form-data"
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadInput("Content-Length is not a number.", code="malformed_request") from None
    if is_upload:
        limit = settings.OMS_MAX_UPLOAD_BYTES
    if limit is not None and length > limit:
        raise BadInput(f"The body is larger than {limit} bytes.", code="too_large", status=413)
    check_text(request.path, "path")
    _check_query(request.GET, "query")
    if request.method == "POST" and (is_upload or request.content_type == "application/x-www-form-urlencoded"):
        try:
            form = request.POST
        except MultiPartParserError:
            raise BadInput("The multipart body could not be read.", code="malformed_request") from None
        _check_query(form, "form")


def _check_query(data, where: str) -> None:
    for key, values in data.lists():
        check_text(key, f"{where}.{key[:50]}")
        for value in values:
            check_text(value, key)


def _refuse(request, exc: BadInput):
    if is_api(request):
        return problem_for(exc)
    context = {"message": exc.message, "field": exc.field}
    return render(request, "oms/bad_input.html", context, status=exc.status)


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (with Django's never-cache headers) on every page shown to a
    logged-in user and on every API answer: they carry customers' names, addresses and orders,
    which must not stay in a shared computer's browser cache or a proxy (ASVS 14.3.2). Static
    files (WhiteNoise answers them before this) and anonymous pages keep their own headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith("/api/"):
            add_never_cache_headers(response)
        return response


class CSPMiddleware(DjangoCSPMiddleware):
    """django-csp's header, built once per policy instead of for every response.

    django-csp builds the header anew for each response from the settings (a copy of the policy
    and two ``build_policy`` calls). A response that no view changed (no ``csp_update``,
    ``csp_replace`` or ``csp`` decorator) and whose request asked for no nonce gets the header of
    the settings, which only a settings change alters; anything else goes through django-csp's
    own ``process_response``. tests/oms/test_csp_header.py holds both to the same headers."""

    def process_response(self, request, response):
        unchanged = PolicyParts()
        if (
            self.get_policy_parts(request=request, response=response) != unchanged
            or self.get_policy_parts(request=request, response=response, report_only=True) != unchanged
        ):
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:  # Django's debug pages
            return response
        for header, policy, exempt, setting in _settings_policies():
            if policy and getattr(response, exempt, False) is False and header not in response:
                excluded = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
                if not request.path_info.startswith(tuple(excluded)):
                    response[header] = policy
        # as django-csp: a nonce asked for once the header is written is an error
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


@cache
def _settings_policies() -> tuple[tuple[str, str, str, str], ...]:
    """(header, policy of the settings, the response attribute ``csp_exempt`` sets, setting)."""
    return (
        (HEADER, build_policy(), "_csp_exempt", "CONTENT_SECURITY_POLICY"),
        (HEADER_REPORT_ONLY, build_policy(report_only=True), "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
    )


@receiver(setting_changed)
def _policy_changed(setting, **kwargs) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _settings_policies.cache_clear()
