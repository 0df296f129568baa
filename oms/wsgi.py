"""The WSGI entry point for servers (gunicorn, uvicorn): production settings unless
DJANGO_SETTINGS_MODULE says otherwise. Development runs through manage.py (base settings)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings.production")
application = get_wsgi_application()

# Every view is imported now, not by the first request, and then everything loaded so far is
# moved out of the garbage collector's sight (``gc.freeze``, Python's documented way for
# long-lived start-up objects). A full collection otherwise walks every module, class and
# function of the project and its libraries, and whichever request triggers it waits that long
# (bench/intake_cpu.py prints the collector's time per order).
get_resolver().url_patterns  # noqa: B018 (reading it imports every URL module and view)
gc.collect()
gc.freeze()
