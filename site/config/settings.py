"""Settings for the Register of training providers site.

Everything that differs between machines comes from the environment:
``DATABASE_URL`` (any database URL: PostgreSQL, or a SQLite file with
``sqlite:///``; SQLite in db.sqlite3 when unset), ``REDIS_URL`` (the shared
cache; local memory when unset), ``SECRET_KEY``, ``SECRET_KEY_FALLBACKS``,
``DEBUG``, ``ALLOWED_HOSTS``, the security and email settings below. The
README's "Production" section lists them all.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

SITE_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = SITE_DIR.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


DEBUG = env_bool("DEBUG", default=False)

# A development key that the site refuses to run with when DEBUG is off, whether
# it comes by default or is set on purpose: it is public.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "").strip() or DEVELOPMENT_SECRET_KEY
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set SECRET_KEY in the environment, or DEBUG=true for development."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "api_clients",
    "register",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "guardian",
    "ninja",
    "axes",
    "csp",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files are answered here, before sessions, users or the database.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "api_clients.middleware.ApiClientUsageMiddleware",
    "api_clients.middleware.ApiOnlyUserAdminMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, so that it sees the sign-in view's answer and can turn it into a lockout.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# SQLite is the embedded default; DATABASE_URL selects another database: PostgreSQL
# (psycopg 3) in production, or a SQLite file of its own (sqlite:///path).
# A database that is down or stalled must fail a request fast (a 503, see
# config/errors.py), never hang it: connecting gives up after
# DATABASE_CONNECT_TIMEOUT seconds, a statement after DATABASE_STATEMENT_TIMEOUT
# milliseconds (0: no limit, for long migrations). A server frozen whole (a hung
# disk or host) cannot cancel anything, and a kept connection's socket stays
# open: the site's backend (config/postgresql) also bounds every wait on the
# server itself, 1.5 s past the statement timeout (the health check before a
# kept connection's reuse: 1 s), then drops the connection.
# SQLite, however it is chosen: WAL lets API requests read while another writes a
# usage record; IMMEDIATE avoids "database is locked" on lock upgrades.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
    "transaction_mode": "IMMEDIATE",
}
if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"],
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "config.postgresql"
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {
                "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 2),
                "statement_timeout": env_int("DATABASE_STATEMENT_TIMEOUT", 3000),
            }
        )
    elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    }

# The shared cache backs rate limits; Redis when REDIS_URL is set so that every
# app server counts against the same limits.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "register"),
            # A cache that is down or stalled costs a request a second at most.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTHENTICATION_BACKENDS = [
    # First: refuses a username and address pair that failed too often.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# No "AnonymousUser" row in the users list.
ANONYMOUS_USER_NAME = None
GUARDIAN_USER_OBJ_PERMS_MODEL = "guardian.UserObjectPermission"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed copies for WhiteNoise to serve; file names stay as they are,
    # since Wagtail adds its own version to the admin's static URLs.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

WAGTAIL_SITE_NAME = "Register of training providers"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILADMIN_LOGIN_URL = "wagtailadmin_login"
LOGIN_URL = "wagtailadmin_login"

# Security when DEBUG is off. Behind a TLS proxy, SECURE_PROXY_SSL_HEADER=true
# trusts its X-Forwarded-Proto; SECURE_SSL_REDIRECT=false leaves redirecting
# to the proxy. The load balancer's /health stays reachable over plain HTTP.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health$"]
if env_bool("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# No framing (Wagtail's preview views lift this for themselves); the policy's
# frame-ancestors below lets the preview panel frame the site's own pages.
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: only the site's own script files, stylesheets,
# images and fonts; no inline script and no eval. The admin's markup carries
# style attributes (style-src-attr), and the API docs draw icons from data: URLs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}

# Admin sign-in throttling (django-axes): 5 failures for one username from one
# address refuse that pair for 15 minutes; staff unlock it with
# `manage.py axes_reset_username USERNAME` (or axes_reset for everyone).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "config.signin.client_address"
AXES_LOCKOUT_CALLABLE = "config.signin.lockout_response"
AXES_VERBOSE = False
WAGTAILADMIN_USER_LOGIN_FORM = "config.signin.LoginForm"

# Email through Django's own settings, from the environment; printed to the
# console in development.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
if os.environ.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# Number of trusted proxies in front of the site, used to find a caller's
# address for rate limits (django-ninja reads this).
NINJA_NUM_PROXIES = int(os.environ.get("NUM_PROXIES", "0") or 0)

# The API clients app: see api_clients/conf.py for every key and its default.
API_CLIENTS = {
    "EXPIRY_HORIZON_MONTHS": 12,
    "CLIENT_RATE_LIMIT": os.environ.get("API_CLIENT_RATE_LIMIT", "600/min"),
    "ADDRESS_RATE_LIMIT": os.environ.get("API_ADDRESS_RATE_LIMIT", "60/min"),
    "USAGE_RETENTION_DAYS": 90,
    "API_DOCS_URL": "/api/v1/docs",
    # PostgreSQL: whether a usage row's commit waits for the disk (see the README).
    "USAGE_SYNCHRONOUS_COMMIT": env_bool("API_USAGE_SYNCHRONOUS_COMMIT", default=True),
}
# Where GitHub's secret-scanning public keys come from: a URL or a local file.
if os.environ.get("SECRET_SCANNING_KEYS"):
    API_CLIENTS["SECRET_SCANNING_KEYS"] = os.environ["SECRET_SCANNING_KEYS"]

LOG_LEVEL = os.environ.get("LOG_LEVEL", "WARNING").upper()
# A flood of refused requests must not flood the log: Django writes each
# 4xx answer at WARNING; here it is one INFO line (so nothing at the default
# level), and a disallowed host is not written a second time with a traceback.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "refusals_as_info": {"()": "config.log_filters.RefusalsAsInfo"},
        "drop": {"()": "django.utils.log.CallbackFilter", "callback": lambda record: False},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "level": LOG_LEVEL}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"filters": ["refusals_as_info"]},
        "django.security.csrf": {"filters": ["refusals_as_info"]},
        "django.security.DisallowedHost": {"filters": ["drop"]},
        # django-axes writes every failed sign-in at WARNING, and more around a
        # lockout. Its attempts are kept in the database (the Django admin shows
        # them); a refused sign-in's 429 is the one INFO line above.
        "axes": {"level": "ERROR"},
    },
}

# No avatars fetched from a third party: the admin shows initials instead.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
