from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.utils.cache import add_never_cache_headers

# The API authenticates with tokens inside DRF and answers 401 itself; webhooks and the
# health probe are called by machines. Everything else needs a logged-in user.
OPEN_PREFIXES = ("/api/", "/health/", "/static/", "/webhooks/")


class LoginRequiredMiddleware(DjangoLoginRequired):
    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(OPEN_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


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
