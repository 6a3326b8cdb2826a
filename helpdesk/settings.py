"""Settings for the help desk, read once from the environment (django-environ).

Every value a deployment may change is an environment variable listed in the README.
Nothing here names a host or a secret.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The embedded default and the tests run with a development key; `check --deploy`
# flags it, so production must set SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-development-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "channels",
    "helpdesk",
    "tickets",
    "workflows",
    "sla",
    "knowledge",
    "feedback",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "helpdesk.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'helpdesk.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default shares one file between web, worker and beat processes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
# The statement that writes a new case with its clocks and events is prepared on each
# database connection (helpdesk.inserts.execute_prepared). Turn off behind a connection
# pooler in transaction mode that does not keep prepared statements (PgBouncer before
# 1.21, or without max_prepared_statements).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
# HTTP requests one web process serves at once: each on a thread of a fixed pool that keeps
# its database connection between requests (helpdesk/asgi.py).
WEB_THREADS = env.int("WEB_THREADS", default=8)
if not 1 <= WEB_THREADS <= 256:
    raise ValueError(f"WEB_THREADS must be between 1 and 256, not {WEB_THREADS}")
# How long a web process trusts an API token it verified before asking the database again
# (helpdesk/api/authentication.py); this process's own changes to tokens, users and
# organizations apply at once. 0: ask on every request.
API_TOKEN_CACHE_SECONDS = env.float("API_TOKEN_CACHE_SECONDS", default=2.0)
if not 0 <= API_TOKEN_CACHE_SECONDS <= 60:
    raise ValueError(f"API_TOKEN_CACHE_SECONDS must be between 0 and 60, not {API_TOKEN_CACHE_SECONDS:g}")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "tickets.User"

# --- Redis: broker, channel layer and cache; unset means the embedded default -----------
REDIS_URL = env.str("REDIS_URL", default="")
DATA_DIR = Path(env.str("HELPDESK_DATA_DIR", default=str(BASE_DIR / "var")))

if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1500, "expiry": 30},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # kombu's filesystem transport: a real worker and beat with nothing but the disk.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(DATA_DIR / "broker" / "out"),
        "data_folder_out": str(DATA_DIR / "broker" / "out"),
        "processed_folder": str(DATA_DIR / "broker" / "processed"),
        # Fanout bindings (the worker's control mailbox); kombu's default is ./control.
        "control_folder": str(DATA_DIR / "broker" / "control"),
        "store_processed": False,
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The live boards' own layer (docs/live.md): with Redis, pub/sub carries each board
# message once per ASGI process instead of once per socket; without, it is in-memory
# and helpdesk.live.relay carries events from the worker and beat processes.
CHANNEL_LAYERS["live"] = (
    {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [REDIS_URL], "prefix": "live"}}
    if REDIS_URL else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
)

# --- Celery ---------------------------------------------------------------------------
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "celery.beat:PersistentScheduler"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# The one beat schedule of the project: every sweep is listed here and nowhere else.
CELERY_BEAT_SCHEDULE: dict = {}
# Beat's pulse: a worker records it and /healthz shows how long ago it last ran.
CELERY_BEAT_SCHEDULE["helpdesk-heartbeat"] = {
    "task": "helpdesk.heartbeat", "schedule": env.float("HELPDESK_HEARTBEAT_SECONDS", default=30.0),
    "kwargs": {"source": "beat"},
}

# --- Auth, i18n, static ---------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Only when present: a checkout without project assets must still pass `check --deploy`.
STATICFILES_DIRS = [path for path in [BASE_DIR / "static"] if path.is_dir()]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "staticfiles")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Email ----------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Help desk <support@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security (production values come from the environment) -----------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
X_FRAME_OPTIONS = "DENY"

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous caller then gets 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "helpdesk.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "helpdesk.api.ordering.StableOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "helpdesk.api.pagination.DefaultCursorPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "helpdesk.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Help desk API",
    "DESCRIPTION": "Cases, their transitions, comments and events; routing, SLAs, tasks and reports.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
}

# --- Product limits and behaviour -----------------------------------------------------
HELPDESK = {
    "REOPEN_WINDOW_DAYS": env.int("HELPDESK_REOPEN_WINDOW_DAYS", default=14),
    "ATTACHMENT_MAX_BYTES": env.int("HELPDESK_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024),
    "ATTACHMENT_CONTENT_TYPES": env.list(
        "HELPDESK_ATTACHMENT_CONTENT_TYPES",
        default=[
            "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain",
            "text/csv", "application/zip", "application/json",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ],
    ),
    "TEXT_MAX_CHARS": 100_000,
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Functions called with the ids of case events once their transaction commits. Each one
# hands the ids to its own background work (automation, notifications, live boards).
HELPDESK_EVENT_SUBSCRIBERS: list[str] = [
    "helpdesk.live.publish.events_committed",
    "workflows.services.automation.automation_events_published",
    "workflows.services.webhooks.webhook_events_published",
]
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update({
    "MembershipRoleEnum": "workflows.models.teams.MembershipRole",
    "TeamKindEnum": "workflows.models.teams.TeamKind",
    "SkillKindEnum": "workflows.models.skills.SkillKind",
    "NotificationKindEnum": "workflows.models.preferences.NotificationKind",
})
CELERY_BEAT_SCHEDULE["workflows-absences-detour"] = {"task": "workflows.absences_detour", "schedule": 60.0}

# Live boards (docs/live.md). MODE "auto" publishes straight to a Redis channel layer and
# relays from the event log when the layer is in-memory (the embedded default).
HELPDESK_LIVE = {
    "MODE": env.str("HELPDESK_LIVE_MODE", default="auto"),
    "RELAY_INTERVAL": env.float("HELPDESK_LIVE_RELAY_INTERVAL", default=0.25),
    "RESYNC_MAX_EVENTS": env.int("HELPDESK_LIVE_RESYNC_MAX_EVENTS", default=500),
    "RESYNC_WINDOW_SECONDS": env.int("HELPDESK_LIVE_RESYNC_WINDOW_SECONDS", default=6 * 3600),
    "MAX_MESSAGE_BYTES": 4096,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- SLA engine -----------------------------------------------------------------------
SLA_SWEEP_SECONDS = env.float("SLA_SWEEP_SECONDS", default=15)
# A checkpoint that fires later than this after its instant is marked late (an outage).
SLA_LATE_AFTER_SECONDS = env.int("SLA_LATE_AFTER_SECONDS", default=max(60, int(SLA_SWEEP_SECONDS * 2)))
# Priorities that follow the sun even without a 24x7 policy.
SLA_CONTINUOUS_PRIORITIES = env.list("SLA_CONTINUOUS_PRIORITIES", default=["P1", "P2"])
CELERY_BEAT_SCHEDULE["sla-sweep-clocks"] = {"task": "sla.sweep_clocks", "schedule": SLA_SWEEP_SECONDS}
CELERY_BEAT_SCHEDULE["sla-run-handovers"] = {"task": "sla.run_handovers", "schedule": 60.0}
# --- Tasks, problems and product feedback ---------------------------------------------
# Celery modules not named tasks.py, so the worker knows them.
CELERY_IMPORTS = ["workflows.problem_jobs"]
HELPDESK_EVENT_SUBSCRIBERS += ["feedback.services.feedback_on_case_events"]
# Cases in this category (or below it) are product feedback; this team hears about them.
HELPDESK_FEEDBACK_CATEGORY = env.str("HELPDESK_FEEDBACK_CATEGORY", default="feedback")
HELPDESK_FEEDBACK_TEAM = env.str("HELPDESK_FEEDBACK_TEAM", default="product")
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    **SPECTACULAR_SETTINGS.get("ENUM_NAME_OVERRIDES", {}),
    "CaseStateEnum": "tickets.models.cases.State",
    "TaskStateEnum": "workflows.models.tasks.TaskState",
    "ProblemStatusEnum": "workflows.models.problems.ProblemStatus",
    "FeedbackStatusEnum": "feedback.models.FeedbackStatus",
}
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["UserRoleEnum"] = "tickets.models.people.Role"
