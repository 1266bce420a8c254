"""Settings, read from the environment in this one place (see README: "Configuration").

Every variable is optional: the defaults give the embedded mode (SQLite, database search,
eager tasks, offline payments). MARKETPLACE_ENV=production turns on the checks that refuse
unsafe values.
"""
from datetime import timedelta
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
    if not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32:
        problems.append("SECRET_KEY must be set to a random value of 32 characters or more")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must name the hosts this site serves")
    if problems:
        raise ImproperlyConfigured("Refusing to start in production mode: " + "; ".join(problems) + ".")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
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
    "marketplace",
    "accounts",
    "notifications",
    "listings",
    "grading",
    "certification",
    "search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "marketplace.api.middleware.SlashInsensitiveApiMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
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

CACHE_URL = env_str("CACHE_URL")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

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
    # Index updates that failed (search engine down) are retried in order until they apply.
    "search-drain-pending-updates": {"task": "search.drain_pending_updates", "schedule": 60.0},
    # 00:05 Beijing time: certificate validity dates are local dates.
    "certification-expire-certificates": {
        "task": "certification.tasks.expire_certificates",
        "schedule": crontab(hour=16, minute=5),
    },
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

STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env_str("STRIPE_API_BASE")

THROTTLE_RATES = {
    "anon": env_str("THROTTLE_ANON", "120/min"),
    "user": env_str("THROTTLE_USER", "600/min"),
    "writes": env_str("THROTTLE_WRITES", "60/min"),
    "auth": env_str("THROTTLE_AUTH", "10/min"),
    # Public certificate / trace-code lookups, per IP: bounds enumeration of codes.
    "verify": env_str("THROTTLE_VERIFY", "30/min"),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
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
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "marketplace.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env_int("AUTH_TOKEN_TTL_DAYS", 30)),
    "TOKEN_LIMIT_PER_USER": 20,
    "AUTO_REFRESH": True,
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
    # Choice sets whose field names ("kind", "state", "source", "status") recur across apps.
    "ENUM_NAME_OVERRIDES": {
        "OrganizationKindEnum": "accounts.models.OrganizationKind",
        "VerificationStatusEnum": "accounts.models.VerificationStatus",
        "OrganizationRoleEnum": "accounts.models.Role",
        "CampusRoleEnum": "accounts.models.CampusRole",
        "LanguageEnum": "marketplace.settings.LANGUAGES",
        "ListingKindEnum": "listings.models.ListingKind",
        "ListingStateEnum": "listings.models.ListingState",
        "ListingGradeSourceEnum": "listings.models.GradeSource",
        "SuspensionSourceEnum": "listings.models.SuspensionSource",
        "ListingReportStatusEnum": "listings.models.ReportStatus",
        "ListingReportReasonEnum": "listings.models.ReportReason",
        "HandoverOptionEnum": "listings.models.HandoverOption",
        "AssessmentSourceEnum": "grading.models.AssessmentSource",
        "StandardStatusEnum": "grading.models.StandardStatus",
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
]
