"""The WSGI entry point for servers (gunicorn, uvicorn): production settings unless
DJANGO_SETTINGS_MODULE says otherwise. Development runs through manage.py (base settings)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings.production")
application = get_wsgi_application()
