"""Settings for the complaint management system, read from the environment.

Local defaults are safe for a developer machine. With ``DJANGO_ENV=production`` the
process refuses to start unless the configuration is secure.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from project.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / ".data")))

PRODUCTION = env_str("DJANGO_ENV", "development") == "production"
DEBUG = env_bool("DEBUG", not PRODUCTION)
# pytest (8.2+) announces itself in PYTEST_VERSION.
TESTING = env_bool("TESTING", "PYTEST_VERSION" in os.environ)

# A fixed development key keeps sessions valid across restarts on a laptop; production must
# bring its own (checked below).
DEVELOPMENT_SECRET_KEY = "development-only-key-never-use-in-production-0123456789abcdef"
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else DEVELOPMENT_SECRET_KEY)

BASE_DOMAIN = env_str("BASE_DOMAIN", "localhost").lower()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [BASE_DOMAIN, f".{BASE_DOMAIN}"])
# The port the product is reached on in links sent by e-mail and printed by `make run`.
PUBLIC_PORT = env_str("PUBLIC_PORT", "" if PRODUCTION else "8000")
PUBLIC_SCHEME = env_str("PUBLIC_SCHEME", "https" if PRODUCTION else "http")


def _check_production_configuration() -> None:
    problems = []
    if not SECRET_KEY or SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50:
        problems.append("SECRET_KEY must be set to a random value of at least 50 characters")
    if DEBUG:
        problems.append("DEBUG must be off")
    if any(host.strip() in {"*", ".", ""} for host in ALLOWED_HOSTS):
        problems.append("ALLOWED_HOSTS must not contain a wildcard")
    if BASE_DOMAIN in {"localhost", ""}:
        problems.append("BASE_DOMAIN must be the real domain the product is served on")
    if not env_str("DATABASE_URL"):
        problems.append("DATABASE_URL must point at the production PostgreSQL")
    if not env_str("REDIS_URL").strip():
        # A per-process cache breaks rate limits, presence and cache invalidation as soon as
        # two processes serve the product.
        problems.append("REDIS_URL must point at the shared Redis cache")
    if problems:
        raise ImproperlyConfigured(
            "Refusing to start in production with an insecure configuration: "
            + "; ".join(problems)
            + "."
        )


if PRODUCTION:
    _check_production_configuration()

# --- Applications -------------------------------------------------------------------------

# Users and every app with a foreign key to them: in the public schema for platform operators,
# and in each tenant schema for that tenant's own people.
ACCOUNT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "accounts",
    "audit",
    # The platform sends e-mail too (operators' password resets), so it has an outbox.
    "outbox",
    "allauth",
    "allauth.account",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

# Apps whose tables live in the public schema (tenant registry, platform operators).
SHARED_APPS = [
    "django_tenants",
    "tenancy",
    *ACCOUNT_APPS,
    # The platform console, provisioning and the operator's commands; no tables of its own.
    "operations",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rules.apps.AutodiscoverRulesConfig",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

# Apps whose tables live in every tenant schema: users, sessions and all tenant data.
TENANT_APPS = [
    *ACCOUNT_APPS,
    "configuration",
    "complaints",
    "deadlines",
    "organisation",
    "reports",
    "notifications",
    "integrations",
]

INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenancy.Tenant"
TENANT_DOMAIN_MODEL = "tenancy.Domain"
PUBLIC_SCHEMA_URLCONF = "project.urls_public"
ROOT_URLCONF = "project.urls"
TENANT_LIMIT_SET_CALLS = True
# New tenants are cloned from a migrated template schema (tenancy/template.py) instead of
# replaying every migration; migrate_schemas keeps the template migrated.
TENANT_TEMPLATE_SCHEMA = "tenant_template"
GET_EXECUTOR_FUNCTION = "tenancy.template.get_executor"
# migrate_schemas --executor=multiprocessing migrates this many schemas at once.
TENANT_MULTIPROCESSING_MAX_PROCESSES = env_int("MIGRATE_PROCESSES", 2)
TENANT_MULTIPROCESSING_CHUNKS = env_int("MIGRATE_CHUNK", 10)

MIDDLEWARE = [
    "project.middleware.HealthCheckMiddleware",
    "project.middleware.RequestIdMiddleware",
    "project.observability.RequestObservationMiddleware",
    "audit.middleware.AuditRequestMiddleware",
    "project.middleware.ApiProblemMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tenancy.middleware.TenantMiddleware",
    "tenancy.middleware.TenantTimeZoneMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.HtmxLoginRedirectMiddleware",
    "accounts.middleware.SessionCredentialMiddleware",
    "accounts.middleware.PrivatePagesMiddleware",
    "project.middleware.ApiNotFoundMiddleware",
    "integrations.middleware.ApiClientAuditMiddleware",
]

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
                "tenancy.context_processors.tenant",
                "organisation.context_processors.branding",
                "notifications.context_processors.unread",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
    {
        # The fragments pages repeat per row (complaints/fragments.py), rendered by name only.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "complaints.fragments.environment"},
    },
]

# Inputs, selects and text areas written in Python, as Django's widget templates would write
# them (project/form_renderer.py); other form templates through Django's renderer.
FORM_RENDERER = "project.form_renderer.FastWidgetRenderer"

WSGI_APPLICATION = "project.wsgi.application"

# --- Database -----------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    _database = dict(dj_database_url.parse(DATABASE_URL, conn_max_age=0))
else:
    from project.embedded_db import embedded_database

    _database = dict(embedded_database(DATA_DIR / "postgres"))
_database["ENGINE"] = "django_tenants.postgresql_backend"
_database["ATOMIC_REQUESTS"] = False
if env_bool("DATABASE_POOL", PRODUCTION):
    # Django's native psycopg pool; connections are returned to it after each request.
    _database["OPTIONS"] = {
        "pool": {
            "min_size": env_int("DATABASE_POOL_MIN", 2),
            "max_size": env_int("DATABASE_POOL_MAX", 20),
        }
    }
DATABASES = {"default": _database}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions -------------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Degrades to "not cached" while Redis is unreachable instead of failing requests.
            "BACKEND": "project.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_FUNCTION": "django_tenants.cache.make_key",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_FUNCTION": "django_tenants.cache.make_key",
        }
    }
# Sessions live in each tenant's own schema, so a session of one tenant means nothing in another.
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Accounts -----------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
# The rules backend answers every permission of ours, before the ModelBackend (AccountBackend)
# queries tables; both account backends read the signed-in account lean (accounts.sessions).
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "accounts.sessions.AccountBackend",
    "accounts.sessions.AccountAuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupNameForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Verification keys are stored rows in the tenant's schema instead of HMACs over a row id, so
# a link from one tenant cannot confirm an address that happens to share the id in another.
ACCOUNT_EMAIL_CONFIRMATION_HMAC = False
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "accounts.tokens.TenantPasswordResetTokenGenerator"
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Links in e-mails use the tenant's canonical URL (accounts.adapter), in the public scheme.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = PUBLIC_SCHEME
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/300s/key",
    "signup": "10/m/ip",
    "reset_password": "10/m/ip,3/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/180s/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}


def OTP_TOTP_ISSUER(device: Any) -> str:
    """Authenticator entries name the organisation, so staff of two tenants can tell them apart."""
    from tenancy import current

    tenant = current.tenant()
    return "Complaints platform" if tenant.is_public else f"{tenant.name} complaints"


# --- E-mail -------------------------------------------------------------------------------

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds a mail-server operation may take; bounds how long an outbox claim is needed.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
# Where the file-based backend (EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend)
# writes messages, e.g. for the fault test.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"complaints@{BASE_DOMAIN}")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation ------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
# Attachments are private: they are only ever streamed through a permission-checked view, so
# no MEDIA_URL is served. With a bucket configured they go to S3 instead of the local folder.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
        },
    }
else:
    STORAGES["default"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    }
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
WHITENOISE_USE_FINDERS = DEBUG

# --- API ----------------------------------------------------------------------------------

REST_FRAMEWORK = {
    # People's tokens and API clients' tokens; a client only reaches views naming its scope.
    "DEFAULT_AUTHENTICATION_CLASSES": ["integrations.authentication.ApiAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "project.renderers.ProblemJSONRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["project.api.BoundedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "project.api.exception_handler",
    # Every authenticated call counts against its API client or its user, shared by every
    # node through the cache (limits lapse while Redis is unreachable).
    "DEFAULT_THROTTLE_CLASSES": ["integrations.throttling.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env_str("API_TOKEN_RATE", "10/min"),
        "api_client": env_str("API_CLIENT_RATE", "1200/min"),
        "api_user": env_str("API_USER_RATE", "600/min"),
    },
    # Proxies in front of the app whose X-Forwarded-For entries are trusted. Without this DRF
    # would key throttles on whatever X-Forwarded-For the client sends, so anyone could dodge them.
    "NUM_PROXIES": env_int("API_NUM_PROXIES", 0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 1)),
    "SIGNING_KEY": SECRET_KEY,
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_CLAIM": "user_id",
    "UPDATE_LAST_LOGIN": False,
}
# Webhooks: loopback receivers are refused in production (private addresses always are);
# seconds a receiver may take; failed deliveries in a row before an endpoint is disabled.
WEBHOOK_ALLOW_LOOPBACK = env_bool("WEBHOOK_ALLOW_LOOPBACK", not PRODUCTION)
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 10)
WEBHOOK_DISABLE_AFTER = env_int("WEBHOOK_DISABLE_AFTER", 20)
SPECTACULAR_SETTINGS = {
    "TITLE": "Complaints API",
    "DESCRIPTION": (
        "Integration API for one tenant. Tokens are issued by and valid only for the tenant "
        "whose host name issued them."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "project.api.document_errors",
    ],
    # Complaint.status and the timeline's from/to statuses share one choice set: one enum.
    "ENUM_NAME_OVERRIDES": {
        "ComplaintStatusEnum": "complaints.models.Status",
        "WebhookEventEnum": "integrations.models.WebhookEvent",
        "ComplaintPriorityEnum": "complaints.models.Priority",
        "ComplaintOutcomeEnum": "complaints.models.Outcome",
        "ResolutionOutcomeEnum": "complaints.forms.RESOLUTION_OUTCOMES",
        "AccountRoleEnum": "accounts.models.Role",
        "StaffRoleEnum": "organisation.forms.STAFF_ROLE_CHOICES",
    },
}

# --- Background work ----------------------------------------------------------------------

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
# Without a broker (and in tests), tasks run inline in the process that queues them.
CELERY_TASK_ALWAYS_EAGER = TESTING or not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# Publishing a task waits at most about a second for an unreachable broker (a few seconds for
# one that stalls, below); the outbox sweep
# delivers whatever could not be published. Workers keep reconnecting for as long as it takes.
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# A broker that takes the connection but never answers (stalled, or a partition) ends a
# publish after BROKER_SOCKET_TIMEOUT seconds for each of its three tries, never a request's
# whole lifetime; above the workers' one-second BRPOP polls, so an idle worker never times out.
BROKER_SOCKET_TIMEOUT = 2.0
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1.0,
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
}
# Workers log through LOGGING below (JSON in production, with request id and tenant).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "tenant_schemas_celery.scheduler.TenantAwarePersistentScheduler"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Entries without "tenant_schemas" run once for every tenant schema.
CELERY_BEAT_SCHEDULE = {
    "scan-deadlines": {"task": "complaints.tasks.scan_deadlines", "schedule": 300.0},
    "auto-close-resolved": {"task": "complaints.tasks.auto_close_resolved", "schedule": 3600.0},
    "deliver-outbox": {"task": "outbox.tasks.deliver_due_messages", "schedule": 60.0},
    "deliver-webhooks": {"task": "integrations.tasks.deliver_due_webhooks", "schedule": 30.0},
    "deliver-platform-outbox": {
        "task": "outbox.tasks.deliver_due_messages",
        "schedule": 60.0,
        "tenant_schemas": ["public"],
    },
}

# --- Security -----------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- Logging ------------------------------------------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "json" if PRODUCTION else "text")
# One line per request from the application; gunicorn's access log takes over (and turns this
# off) in deploy/gunicorn.conf.py, so each request is still logged once.
REQUEST_LOG = env_bool("REQUEST_LOG", True)
# Bearer token a Prometheus scraper sends to /metrics; without one only this machine may scrape.
METRICS_TOKEN = env_str("METRICS_TOKEN")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "project.logging.RequestContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(tenant)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {
            "format": "%(asctime)s %(levelname)s [%(tenant)s %(request_id)s] %(name)s: %(message)s"
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # The request logger would write full URLs (which may carry tokens) on every 4xx.
        "django.request": {"level": "ERROR"},
        # The request log above has each request once; the development server's own line
        # would repeat it.
        "django.server": {"level": "ERROR"},
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        # The development server says it watches files itself; the log would say it again.
        "django.utils.autoreload": {"level": "WARNING"},
        # Scanners send foreign Host headers all day; the 400 answer is enough.
        "django.security.DisallowedHost": {"level": "CRITICAL"},
    },
}
