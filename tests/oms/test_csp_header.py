"""``oms.middleware.CSPMiddleware`` builds django-csp's header once per policy: the contract is
that every response gets exactly the headers django-csp's own middleware gives it (a plain
response, one changed by each decorator, exempted, with a nonce, an excluded path, a report-only
policy, after a settings change), so a django-csp release that changes them fails here."""

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.decorators import csp, csp_exempt, csp_replace, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as TheirCSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from oms.middleware import CSPMiddleware


def plain(request):
    return HttpResponse("ok")


def with_nonce(request):
    return HttpResponse(f"nonce {request.csp_nonce}")


def not_found(request):
    return HttpResponse("gone", status=404)


VIEWS = {
    "plain": plain,
    "updated": csp_update({"img-src": ["https://images.example"]})(plain),
    "replaced": csp_replace({"script-src": ["'self'", "https://cdn.example"]})(plain),
    "own policy": csp({"default-src": ["'none'"]})(plain),
    "exempt": csp_exempt()(plain),
    "exempt from report-only": csp_exempt(REPORT_ONLY=True)(plain),
    "report-only updated": csp_update({"img-src": ["https://r.example"]}, REPORT_ONLY=True)(plain),
    "nonce": with_nonce,
    "not found": not_found,
}
REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'self'"], "report-uri": "/csp-report/"}}


def headers(middleware, view, path: str = "/x/"):
    request = RequestFactory().get(path)
    response = middleware(view)(request)
    nonce = getattr(request, "_csp_nonce", None)
    found = {h: response.get(h) for h in (HEADER, HEADER_REPORT_ONLY)}
    return {h: v.replace(nonce, "NONCE") if v and nonce else v for h, v in found.items()}, request


@pytest.mark.parametrize(
    "policies",
    [
        {},
        {"CONTENT_SECURITY_POLICY_REPORT_ONLY": REPORT_ONLY},
        {"CONTENT_SECURITY_POLICY": None, "CONTENT_SECURITY_POLICY_REPORT_ONLY": REPORT_ONLY},
        {"DEBUG": True},
    ],
    ids=["ours", "with report-only", "report-only alone", "debug"],
)
@pytest.mark.parametrize("name", VIEWS)
def test_every_response_gets_the_headers_django_csp_gives_it(name, policies):
    with override_settings(**policies):
        ours, request = headers(CSPMiddleware, VIEWS[name])
        theirs, _ = headers(TheirCSPMiddleware, VIEWS[name])
    assert ours == theirs
    if name == "plain" and not policies:
        assert "frame-ancestors 'none'" in ours[HEADER]


def test_an_excluded_path_gets_no_header():
    policy = {"DIRECTIVES": {"default-src": ["'self'"]}, "EXCLUDE_URL_PREFIXES": ["/skip/"]}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        for path in ("/skip/this/", "/keep/"):
            assert headers(CSPMiddleware, plain, path)[0] == headers(TheirCSPMiddleware, plain, path)[0]
        assert headers(CSPMiddleware, plain, "/skip/this/")[0][HEADER] is None


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error():
    _, request = headers(CSPMiddleware, plain)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)
