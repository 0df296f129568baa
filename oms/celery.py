"""The Celery app. Settings live in Django settings under the ``CELERY_`` prefix.

Like ``oms.wsgi``, a worker started without ``DJANGO_SETTINGS_MODULE`` runs with the production
settings; ``make worker``/``make beat`` and ``bin/run`` ask for the development ones. (This
module is imported with the ``oms`` package, so its default is also the one ``oms.wsgi`` gets.)"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings.production")

app = Celery("oms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
