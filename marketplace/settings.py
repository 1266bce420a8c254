"""Settings, read from the environment in this one place (see README: "Configuration").

Every variable is optional: the defaults give the embedded mode (SQLite, database search,
eager tasks, offline payments). MARKETPLACE_ENV=production turns on the checks that refuse
unsafe values.
"""
import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from marketplace.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"

ENVIRONMENT = env_str("MARKETPLACE_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"

SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

if PRODUCTION:
    problems = []
    if DEBUG:
        problems.append("DEBUG must be off")
    # Django's own bar (check --deploy, security.W009): 50 characters, not all alike.
    if not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        problems.append("SECRET_KEY must be set to a random value of 50 characters or more")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must name the hosts this site serves")
    if problems:
        raise ImproperlyConfigured("Refusing to start in production mode: " + "; ".join(problems) + ".")

# HTTPS (see README: "Production"). In production every default below passes `check --deploy`.
# Plain HTTP is redirected to HTTPS, except the health probes that supervisors send locally.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]
# Behind a proxy that terminates TLS, the request reaches Django over HTTP: name the header the
# proxy sets (e.g. X-Forwarded-Proto) to have "https" in it trusted. Only behind such a proxy,
# which must overwrite the header: otherwise any client could claim HTTPS.
_proxy_ssl_header = env_str("SECURE_PROXY_SSL_HEADER").strip()
if _proxy_ssl_header and not re.fullmatch(r"[A-Za-z0-9-]+", _proxy_ssl_header):
    raise ImproperlyConfigured(f"SECURE_PROXY_SSL_HEADER must be a header name such as X-Forwarded-Proto, not {_proxy_ssl_header!r}.")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
# HSTS: browsers go to HTTPS by themselves for this long (seconds). A new domain may start small.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "marketplace",
    "accounts",
    "notifications",
    "listings",
    "grading",
    "certification",
    "events",
    "orders",
    "search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "marketplace.api.middleware.SlashInsensitiveApiMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Inside LocaleMiddleware, so that their messages follow the request's language.
    "marketplace.api.middleware.ApiErrorShapeMiddleware",
    "marketplace.api.middleware.RequestBodyLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# Database: a SQLite file by default, PostgreSQL (psycopg 3) through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Requests are short: launching parallel workers costs more than it saves (a search's facet
    # statement at 10,000 listings took 21 ms with two workers, 9 ms without). 0 turns it off.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c max_parallel_workers_per_gather={env_int('DATABASE_PARALLEL_WORKERS', 0)}"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer commits; the timeout waits out short locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    # The search indexes' INCLUDE columns serve PostgreSQL's index-only scans; SQLite builds the
    # same indexes on their key columns alone, which is all it needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds the throttle counters, so every worker process must share it: per-process
# memory would give each gunicorn worker its own count. CACHE_URL: redis://... (Redis),
# db:// (the database cache, table `marketplace_cache`, made by `migrate`), locmem:// (this process only).
# Unset: local memory in development (one runserver process), the database cache in production.
CACHE_URL = env_str("CACHE_URL") or ("db://" if PRODUCTION else "locmem://")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL.startswith("db://"):
    # Past MAX_ENTRIES Django deletes entries by key order, live counters too: keep it well above
    # the number of clients seen in an hour (each write also counts the table's rows).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                          "LOCATION": CACHE_URL.removeprefix("db://") or "marketplace_cache",
                          "OPTIONS": {"MAX_ENTRIES": 200_000}}}
elif CACHE_URL == "locmem://":
    if PRODUCTION:
        raise ImproperlyConfigured(
            "Refusing to start in production mode: CACHE_URL=locmem:// keeps throttle counters per worker "
            "process; use redis://... or db:// (the default)."
        )
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(f"CACHE_URL must be redis://..., rediss://..., unix://..., db://[table] or locmem://, not {CACHE_URL!r}.")

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailOrPhoneBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3

# Internationalization: Chinese first, English too; times stored in UTC.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_URL = env_str("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@marketplace.local")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Where links in e-mails (password reset, invitations, verify pages) point.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# A CJK font file for printed labels; empty: the first of certification.labels.CJK_FONT_CANDIDATES found.
CERTIFICATION_LABEL_FONT = env_str("CERTIFICATION_LABEL_FONT", "")

# Tasks: eager in-process unless a broker is configured.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or None
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or "") or None
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# Periodic tasks, run by `celery -A marketplace beat` (each also has a management command).
CELERY_BEAT_SCHEDULE: dict = {
    "listings-expire": {"task": "listings.tasks.expire_listings", "schedule": 3600.0},
    # Photos whose derivative task was lost (broker down at upload) are made ready.
    "listings-make-pending-photo-derivatives": {"task": "listings.make_pending_photo_derivatives", "schedule": 600.0},
    "grading-make-pending-evidence-thumbnails": {"task": "grading.make_pending_evidence_thumbnails", "schedule": 600.0},
    # Index updates that failed (search engine down) are retried in order until they apply.
    "search-drain-pending-updates": {"task": "search.drain_pending_updates", "schedule": 60.0},
    # 00:05 Beijing time: certificate validity dates are local dates.
    "certification-expire-certificates": {
        "task": "certification.tasks.expire_certificates",
        "schedule": crontab(hour=16, minute=5),
    },
    # Orders: unpaid reservations end, held payments are released, stored webhook events and
    # Stripe calls that failed are retried (each also has a management command).
    "orders-expire-reservations": {"task": "orders.tasks.expire_reservations", "schedule": 60.0},
    "orders-complete-due": {"task": "orders.tasks.complete_due_orders", "schedule": 3600.0},
    "orders-retry-webhook-events": {"task": "orders.tasks.retry_webhook_events", "schedule": 60.0},
    "orders-retry-payment-calls": {"task": "orders.tasks.retry_payment_calls", "schedule": 300.0},
    "orders-make-pending-claim-thumbnails": {"task": "orders.make_pending_claim_thumbnails", "schedule": 600.0},
}
TASK_MODE = "eager" if CELERY_TASK_ALWAYS_EAGER else "celery"

SEARCH_BACKEND = env_str("SEARCH_BACKEND", "database")
# The search data files (search/*.txt by default; operators may point them at their own copies).
# The vocabulary and the user dictionary decide what documents say: run search_rebuild after a change.
SEARCH_VOCABULARY_FILE = env_str("SEARCH_VOCABULARY_FILE", str(BASE_DIR / "search" / "vocabulary.txt"))
SEARCH_SYNONYMS_FILE = env_str("SEARCH_SYNONYMS_FILE", str(BASE_DIR / "search" / "synonyms.txt"))
SEARCH_USER_DICTIONARY = env_str("SEARCH_USER_DICTIONARY", str(BASE_DIR / "search" / "userdict.txt"))
SEARCH_MARKET_WORDS = env_str("SEARCH_MARKET_WORDS", str(BASE_DIR / "search" / "market_words.txt"))
# Failed index updates a drain retries at most per run (Celery beat every minute, manage.py search_drain).
SEARCH_DRAIN_BATCH = env_int("SEARCH_DRAIN_BATCH", 500)
ELASTICSEARCH_URL = env_str("ELASTICSEARCH_URL", "http://127.0.0.1:9200")
# Indices are <prefix>_listings_v<timestamp> behind the alias <prefix>_listings.
ELASTICSEARCH_INDEX_PREFIX = env_str("ELASTICSEARCH_INDEX_PREFIX", "marketplace")
# Analyzer of the pre-segmented token fields; clusters with plugins may name ik_smart, smartcn, cjk.
ELASTICSEARCH_TEXT_ANALYZER = env_str("ELASTICSEARCH_TEXT_ANALYZER", "whitespace")
ELASTICSEARCH_REFRESH = env_str("ELASTICSEARCH_REFRESH") or False  # "wait_for" in tests
ELASTICSEARCH_TIMEOUT = float(env_str("ELASTICSEARCH_TIMEOUT", "5"))
ELASTICSEARCH_REFRESH_INTERVAL = env_str("ELASTICSEARCH_REFRESH_INTERVAL", "500ms")
ELASTICSEARCH_MAX_RETRIES = env_int("ELASTICSEARCH_MAX_RETRIES", 2)
ELASTICSEARCH_NUMBER_OF_REPLICAS = env_int("ELASTICSEARCH_NUMBER_OF_REPLICAS", 0)

# Listings and their photos.
LISTING_TTL_DAYS = env_int("LISTING_TTL_DAYS", 60)
LISTING_MAX_PHOTOS = env_int("LISTING_MAX_PHOTOS", 12)
IMAGE_MAX_BYTES = env_int("IMAGE_MAX_BYTES", 10 * 1024 * 1024)
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 40_000_000)

# /healthz: seconds each dependency probe may take before it counts as down.
HEALTH_PROBE_TIMEOUT = float(env_str("HEALTH_PROBE_TIMEOUT", "2"))

# Request bodies above these are refused (413) before anything reads them: JSON and forms, and
# multipart uploads (an image or a 10 MB certificate document, plus the form around it).
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024)
API_MAX_UPLOAD_BYTES = env_int("API_MAX_UPLOAD_BYTES", max(IMAGE_MAX_BYTES, 10 * 1024 * 1024) + 1024 * 1024)

STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env_str("STRIPE_API_BASE")


def _fee_rates(raw: str) -> dict[str, Decimal]:
    """"merchant=0.05,remanufacturer=0.03" -> {kind: rate}; "person" is a resident selling alone."""
    rates = {}
    for item in (part.strip() for part in raw.split(",") if part.strip()):
        kind, _sep, value = item.partition("=")
        try:
            rate = Decimal(value.strip())
        except InvalidOperation:
            rate = Decimal(-1)
        if not kind.strip() or not Decimal(0) <= rate < Decimal(1):
            raise ImproperlyConfigured(f"ORDERS_PLATFORM_FEE: {item!r} is not <kind>=<rate between 0 and 1>.")
        rates[kind.strip()] = rate
    return rates


# Orders and payments (docs/orders.md).
ORDERS_RESERVATION_MINUTES = env_int("ORDERS_RESERVATION_MINUTES", 30)  # an unpaid card/Alipay/WeChat checkout
ORDERS_OFFLINE_RESERVATION_HOURS = env_int("ORDERS_OFFLINE_RESERVATION_HOURS", 48)  # until the meeting
ORDERS_AUTO_COMPLETE_DAYS = env_int("ORDERS_AUTO_COMPLETE_DAYS", 7)  # after the hand-over, without a claim
ORDERS_CLAIM_DAYS = env_int("ORDERS_CLAIM_DAYS", 7)  # a grade claim may be opened this long after hand-over
ORDERS_CLAIM_ANSWER_DAYS = env_int("ORDERS_CLAIM_ANSWER_DAYS", 3)  # then it may be decided without an answer
# The platform's share of a Stripe sale per seller kind (organization kind, or "person").
ORDERS_PLATFORM_FEE = _fee_rates(env_str(
    "ORDERS_PLATFORM_FEE", "person=0,merchant=0.05,remanufacturer=0.05,community=0,school=0"
))
# New listings of a seller wait for staff when at least ORDERS_UPHELD_CLAIM_MIN grade claims were
# upheld and they make at least this share of the seller's handed-over sales.
ORDERS_UPHELD_CLAIM_SHARE = Decimal(env_str("ORDERS_UPHELD_CLAIM_SHARE", "0.2"))
ORDERS_UPHELD_CLAIM_MIN = env_int("ORDERS_UPHELD_CLAIM_MIN", 2)


# Rates are "<requests>/<period>", the period in s, min, h or d, optionally with a count: "10/15min".
THROTTLE_RATES = {
    "anon": env_str("THROTTLE_ANON", "120/min"),
    "user": env_str("THROTTLE_USER", "600/min"),
    "writes": env_str("THROTTLE_WRITES", "60/min"),
    # Sign-in per client address: a class of 40 behind one school address signs in within a minute.
    "login": env_str("THROTTLE_LOGIN", "100/min"),
    # Sign-in per account (the login, normalized), from any address: bounds guessing one password.
    # A successful sign-in does not count.
    "login_account": env_str("THROTTLE_LOGIN_ACCOUNT", "10/15min"),
    # Registration and its confirmation, per client address.
    "register": env_str("THROTTLE_REGISTER", "60/h"),
    # Password reset requests and confirmations, per client address.
    "password_reset": env_str("THROTTLE_PASSWORD_RESET", "20/h"),
    # Registration and reset mails to one address; beyond it requests are answered alike but not mailed.
    "account_mail": env_str("THROTTLE_ACCOUNT_MAIL", "5/h"),
    # Public certificate / trace-code lookups, per IP: bounds enumeration of codes.
    "verify": env_str("THROTTLE_VERIFY", "30/min"),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_THROTTLE_CLASSES": [
        "marketplace.api.throttling.AnonReadThrottle",
        "marketplace.api.throttling.UserThrottle",
        "marketplace.api.throttling.WriteThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
    # Proxies in front of the app whose X-Forwarded-For may be trusted (0: use the peer address).
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "DEFAULT_PAGINATION_CLASS": "marketplace.api.pagination.PagePagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "marketplace.api.schema.AutoSchema",
    # JSON only: one request encoding in the schema (a generated client works) and no form-field
    # flood; the views that take a file add multipart themselves (photos, evidence, documents).
    # Integers beyond 64 bits are refused while parsing (no column could hold them).
    "DEFAULT_PARSER_CLASSES": ["marketplace.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "marketplace.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # OPTIONS answers on every route, including collection routes that answer PUT.
    "DEFAULT_METADATA_CLASS": "marketplace.api.metadata.ApiMetadata",
}

# A token lives AUTH_TOKEN_TTL_DAYS after its last use, and never longer than
# AUTH_TOKEN_MAX_AGE_DAYS after it was issued (then the user signs in again).
AUTH_TOKEN_TTL = timedelta(days=env_int("AUTH_TOKEN_TTL_DAYS", 30))
AUTH_TOKEN_MAX_AGE = timedelta(days=env_int("AUTH_TOKEN_MAX_AGE_DAYS", 90))
if AUTH_TOKEN_TTL > AUTH_TOKEN_MAX_AGE:
    raise ImproperlyConfigured("AUTH_TOKEN_TTL_DAYS must not be longer than AUTH_TOKEN_MAX_AGE_DAYS.")
REST_KNOX = {
    "TOKEN_TTL": AUTH_TOKEN_TTL,
    "TOKEN_LIMIT_PER_USER": 20,
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": AUTH_TOKEN_MAX_AGE,
    "USER_SERIALIZER": "accounts.serializers.MeSerializer",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Second-hand & remanufactured goods marketplace API",
    "DESCRIPTION": (
        "Listings of second-hand and remanufactured goods with standardized grading, certified "
        "remanufacturing, traceability and public verification. Errors share one JSON shape: "
        "`{type, title, status, detail, errors}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI from the pinned drf-spectacular-sidecar, served as our own static files: the docs
    # work offline and behind a firewall, and do not change under us.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets whose field names ("kind", "state", "source", "status") recur across apps.
    "ENUM_NAME_OVERRIDES": {
        "OrganizationKindEnum": "accounts.models.OrganizationKind",
        "VerificationStatusEnum": "accounts.models.VerificationStatus",
        "OrganizationRoleEnum": "accounts.models.Role",
        "CampusRoleEnum": "accounts.models.CampusRole",
        "LanguageEnum": "marketplace.settings.LANGUAGES",
        "ListingKindEnum": "listings.models.ListingKind",
        "ListingDealEnum": "listings.models.Deal",
        "ListingStateEnum": "listings.models.ListingState",
        "ListingGradeSourceEnum": "listings.models.GradeSource",
        "SuspensionSourceEnum": "listings.models.SuspensionSource",
        "ListingReportStatusEnum": "listings.models.ReportStatus",
        "ListingReportReasonEnum": "listings.models.ReportReason",
        "HandoverOptionEnum": "listings.models.HandoverOption",
        "AssessmentSourceEnum": "grading.models.AssessmentSource",
        "StandardStatusEnum": "grading.models.StandardStatus",
        "OrderStateEnum": "orders.models.OrderState",
        "PaymentMethodEnum": "orders.models.PaymentMethod",
        "ClaimStateEnum": "orders.models.ClaimState",
        "RefundStatusEnum": "orders.models.RefundStatus",
        "ActorRoleEnum": "orders.models.ActorRole",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # The Elasticsearch client logs every request at INFO.
        "elastic_transport": {"level": "WARNING"},
        # Eager tasks would log a line per task run (e.g. one per listing indexed by load_demo).
        "celery.app.trace": {"level": "WARNING"},
    },
}

# Collections linked from the API root (name, url name); each app adds its own.
API_ROOT_LINKS = [
    ("me", "me"),
    ("organizations", "organization-list"),
    ("notifications", "notification-list"),
    ("search", "search-listings"),
    ("categories", "category-list"),
    ("listings", "listing-list"),
    ("favourites", "favourite-list"),
    ("grading_standards", "grading-standard-list"),
    ("certificates", "certificate-list"),
    ("orders", "order-list"),
    ("claims", "claim-list"),
]

# Events: flea markets, trading days and campus book swaps (docs/events.md).
# Organization kinds that may organize events once verified (book swaps: schools only).
EVENTS_ORGANIZER_KINDS = env_list("EVENTS_ORGANIZER_KINDS", "community,school,merchant")
# Hours a person promoted from a stall waitlist has to confirm before the stall goes to the next one.
EVENTS_OFFER_CONFIRM_HOURS = env_int("EVENTS_OFFER_CONFIRM_HOURS", 24)
# Wall-clock bound of the swap-ring solver (CP-SAT) per matching run, in seconds.
EVENTS_SWAP_SOLVER_SECONDS = float(env_str("EVENTS_SWAP_SOLVER_SECONDS", "10"))
# Credits a book earns when deposited at a sharing corner (and costs when taken), by its grade
# on the book/1 standard; grade X (not sellable) is refused.
EVENTS_BOOK_CREDITS = {"AN": 3, "F": 3, "VG": 2, "G": 2, "FR": 1, "P": 1}
CELERY_BEAT_SCHEDULE.update({
    # Lotteries whose window closed are drawn; events start and finish on time.
    "events-advance": {"task": "events.tasks.advance_events", "schedule": 300.0},
    # Stall offers not confirmed in time go to the next person on the waitlist.
    "events-expire-stall-offers": {"task": "events.tasks.expire_stall_offers", "schedule": 300.0},
})
API_ROOT_LINKS.append(("events", "event-list"))
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({
    "EventKindEnum": "events.models.EventKind",
    "EventStateEnum": "events.models.EventState",
    "EventVisibilityEnum": "events.models.Visibility",
    "StallBookingModeEnum": "events.models.BookingMode",
    "StallBookingStatusEnum": "events.models.BookingStatus",
    "RsvpStatusEnum": "events.models.RsvpStatus",
    "EventPassKindEnum": "events.models.PassKind",
    "BookCopyStatusEnum": "events.models.CopyStatus",
    "CreditEntryKindEnum": "events.models.CreditEntryKind",
    "SwapOfferStatusEnum": "events.models.OfferStatus",
    "SwapRingStatusEnum": "events.models.RingStatus",
})
