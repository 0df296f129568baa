"""Test settings: the same PostgreSQL engine, fast password hashing, tasks inline by default.

Tests that need the real broker (marked ``redis``/``worker``) switch Celery to it themselves.
"""

import os

os.environ.setdefault("DEBUG", "false")

from .base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
MEDIA_ROOT = str(BASE_DIR / "var" / "test-media")  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# The rate limits count per address in the process's cache, which outlives a test: a suite
# that opens more than a minute's worth of customer pages from 127.0.0.1 would get 429s in
# unrelated tests. The tests of the limits set their own low limit.
OMS_STATUS_PAGE_RATE_LIMIT = 100_000
OMS_PAYMENT_WEBHOOK_RATE_LIMIT = 100_000
