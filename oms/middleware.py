from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired

# The API authenticates with tokens inside DRF and answers 401 itself; webhooks and the
# health probe are called by machines. Everything else needs a logged-in user.
OPEN_PREFIXES = ("/api/", "/health/", "/static/", "/webhooks/")


class LoginRequiredMiddleware(DjangoLoginRequired):
    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(OPEN_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
