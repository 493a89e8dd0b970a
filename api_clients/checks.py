"""System checks: a misconfiguration fails ``manage.py check``, not the first request."""

from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.backends import ModelBackend, RemoteUserBackend
from django.core.checks import Error, Tags, Warning, register
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.module_loading import import_string
from guardian.backends import ObjectPermissionBackend

from .conf import (
    DEFAULTS,
    MAX_GROUP_NAME_LENGTH,
    MAX_HORIZON_MONTHS,
    MAX_RECENT_USAGE_DAYS,
    MAX_REMINDER_DAYS,
    MAX_RETENTION_DAYS,
    MAX_SECRET_SCANNING_BODY_BYTES,
    RATE_LIMIT_WITHOUT_CACHE_CHOICES,
    RATE_PATTERN,
    TOKEN_PREFIX_PATTERN,
    parse_rate,
)

MIDDLEWARE_PATH = "api_clients.middleware.ApiClientUsageMiddleware"
ADMIN_MIDDLEWARE_PATH = "api_clients.middleware.ApiOnlyUserAdminMiddleware"
NUMBER_BOUNDS = {
    "EXPIRY_HORIZON_MONTHS": MAX_HORIZON_MONTHS,
    "USAGE_RETENTION_DAYS": MAX_RETENTION_DAYS,
    "RECENT_USAGE_DAYS": MAX_RECENT_USAGE_DAYS,
    "SECRET_SCANNING_MAX_BODY_BYTES": MAX_SECRET_SCANNING_BODY_BYTES,
}
MAX_RATE_PERIOD_SECONDS = 366 * 86_400
PASSWORD_BACKEND_PATH = "django.contrib.auth.backends.ModelBackend"
GUARDIAN_BACKEND_PATH = "guardian.backends.ObjectPermissionBackend"
BACKENDS_FIX = (
    f"Set AUTHENTICATION_BACKENDS = [{PASSWORD_BACKEND_PATH!r}, {GUARDIAN_BACKEND_PATH!r}] "
    "(keep any other backends the site needs). Django's default list has only the first; "
    "naming the setting replaces that default."
)


@register()
def check_api_clients_settings(app_configs, **kwargs):
    errors = []
    configured = getattr(settings, "API_CLIENTS", {})
    if not isinstance(configured, dict):
        return [
            Error(
                "API_CLIENTS must be a dict.",
                hint="See api_clients/conf.py.",
                id="api_clients.E001",
            )
        ]
    for key in sorted(set(configured) - set(DEFAULTS)):
        errors.append(
            Error(
                f"API_CLIENTS has an unknown key {key!r}.",
                hint=f"Known keys: {', '.join(sorted(DEFAULTS))}.",
                id="api_clients.E002",
            )
        )
    for key, largest in NUMBER_BOUNDS.items():
        value = configured.get(key, DEFAULTS[key])
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= largest:
            errors.append(
                Error(
                    f"API_CLIENTS[{key!r}] must be a whole number from 1 to {largest}, "
                    f"not {value!r}.",
                    id="api_clients.E003",
                )
            )
    for key in ("CLIENT_RATE_LIMIT", "ADDRESS_RATE_LIMIT", "SECRET_SCANNING_RATE_LIMIT"):
        value = configured.get(key, DEFAULTS[key])
        if (
            not isinstance(value, str)
            or not RATE_PATTERN.fullmatch(value)
            or parse_rate(value)[1] > MAX_RATE_PERIOD_SECONDS
        ):
            errors.append(
                Error(
                    f"API_CLIENTS[{key!r}] must be a rate such as '600/min', not {value!r}.",
                    hint="A number of requests, a slash, then s, min, h or day "
                    "(a period of a year at most).",
                    id="api_clients.E004",
                )
            )
    without_cache = configured.get("RATE_LIMIT_WITHOUT_CACHE", DEFAULTS["RATE_LIMIT_WITHOUT_CACHE"])
    if without_cache not in RATE_LIMIT_WITHOUT_CACHE_CHOICES:
        errors.append(
            Error(
                f"API_CLIENTS['RATE_LIMIT_WITHOUT_CACHE'] must be 'skip' or 'refuse', "
                f"not {without_cache!r}.",
                hint="What the API does while the shared cache is down: serve requests "
                "without rate limits, or refuse them with 503.",
                id="api_clients.E007",
            )
        )
    group = configured.get("API_USERS_GROUP", DEFAULTS["API_USERS_GROUP"])
    if not isinstance(group, str) or not group.strip() or len(group) > MAX_GROUP_NAME_LENGTH:
        errors.append(
            Error(
                f"API_CLIENTS['API_USERS_GROUP'] must be a group name, not {group!r}.",
                hint=f"The name of a group (1 to {MAX_GROUP_NAME_LENGTH} characters) "
                "whose members are API-only users.",
                id="api_clients.E012",
            )
        )
    prefix = configured.get("TOKEN_PREFIX", DEFAULTS["TOKEN_PREFIX"])
    if not isinstance(prefix, str) or not TOKEN_PREFIX_PATTERN.fullmatch(prefix):
        errors.append(
            Error(
                f"API_CLIENTS['TOKEN_PREFIX'] must be a token prefix such as 'rtp_', "
                f"not {prefix!r}.",
                hint="2 to 12 letters, digits and underscores, starting with a letter or "
                "digit and ending in '_'. Tokens made with an earlier prefix keep working.",
                id="api_clients.E008",
            )
        )
    docs_url = configured.get("API_DOCS_URL", DEFAULTS["API_DOCS_URL"])
    if not isinstance(docs_url, str):
        errors.append(
            Error(
                f"API_CLIENTS['API_DOCS_URL'] must be a path or URL (a string), not {docs_url!r}.",
                id="api_clients.E020",
            )
        )
    synchronous = configured.get("USAGE_SYNCHRONOUS_COMMIT", DEFAULTS["USAGE_SYNCHRONOUS_COMMIT"])
    if not isinstance(synchronous, bool):
        errors.append(
            Error(
                f"API_CLIENTS['USAGE_SYNCHRONOUS_COMMIT'] must be True or False, "
                f"not {synchronous!r}.",
                hint="True: a usage row's commit waits for the disk (nothing is lost); "
                "False: it does not (PostgreSQL only; a database server crash can lose "
                "the last moments' rows).",
                id="api_clients.E021",
            )
        )
    errors.extend(_check_secret_scanning_keys(configured))
    errors.extend(_check_reminder_days(configured))
    if MIDDLEWARE_PATH not in settings.MIDDLEWARE:
        errors.append(
            Error(
                f"{MIDDLEWARE_PATH} is not in MIDDLEWARE.",
                hint="ApiClientAuth needs it to record usage and to answer with the right headers.",
                id="api_clients.E005",
            )
        )
    if getattr(settings, "NINJA_NUM_PROXIES", None) is None:
        errors.append(
            Warning(
                "NINJA_NUM_PROXIES is not set, so the per-address rate limit takes the "
                "caller's address from any X-Forwarded-For header, which callers can forge.",
                hint="Set NINJA_NUM_PROXIES to the number of trusted proxies in front of "
                "the site: 0 when there are none.",
                id="api_clients.W004",
            )
        )
    if ADMIN_MIDDLEWARE_PATH not in settings.MIDDLEWARE:
        errors.append(
            Warning(
                f"{ADMIN_MIDDLEWARE_PATH} is not in MIDDLEWARE.",
                hint="Without it API-only users can open every admin area their "
                "permissions allow, not only their API clients.",
                id="api_clients.W001",
            )
        )
    return errors


@register()
def check_authentication_backends(app_configs, **kwargs):
    """Users must be able to sign in with a password, and guardian must answer object checks.

    Naming ``AUTHENTICATION_BACKENDS`` replaces Django's default, so a list with
    only guardian's backend locks every user out of the admin.
    """
    classes = []
    for path in settings.AUTHENTICATION_BACKENDS:
        try:
            classes.append(import_string(path))
        except ImportError:
            # Django reports an unimportable backend at sign-in; say it now.
            return [
                Error(
                    f"AUTHENTICATION_BACKENDS names {path!r}, which cannot be imported.",
                    hint=BACKENDS_FIX,
                    id="api_clients.E009",
                )
            ]
    errors = []
    if not any(
        isinstance(cls, type)
        and issubclass(cls, ModelBackend)
        and not issubclass(cls, RemoteUserBackend)
        for cls in classes
    ):
        errors.append(
            Error(
                "AUTHENTICATION_BACKENDS has no backend that signs users in with a "
                "password, so nobody can sign in to the admin.",
                hint=BACKENDS_FIX,
                id="api_clients.E010",
            )
        )
    if not any(
        isinstance(cls, type) and issubclass(cls, ObjectPermissionBackend) for cls in classes
    ):
        errors.append(
            Error(
                f"AUTHENTICATION_BACKENDS lacks {GUARDIAN_BACKEND_PATH!r}, so API users "
                "cannot see or act on their own API clients.",
                hint=BACKENDS_FIX,
                id="api_clients.E011",
            )
        )
    return errors


def _check_reminder_days(configured):
    value = configured.get("EXPIRY_REMINDER_DAYS", DEFAULTS["EXPIRY_REMINDER_DAYS"])
    if isinstance(value, list | tuple) and all(
        isinstance(days, int) and not isinstance(days, bool) and 1 <= days <= MAX_REMINDER_DAYS
        for days in value
    ):
        return []
    return [
        Error(
            "API_CLIENTS['EXPIRY_REMINDER_DAYS'] must be a list of whole numbers of days "
            f"from 1 to {MAX_REMINDER_DAYS}, not {value!r}.",
            hint="For example [30, 7, 1]: emails 30, 7 and 1 days before a client expires.",
            id="api_clients.E013",
        )
    ]


def _check_secret_scanning_keys(configured):
    value = configured.get("SECRET_SCANNING_KEYS", DEFAULTS["SECRET_SCANNING_KEYS"])
    if not isinstance(value, str) or not value.strip():
        return [
            Error(
                f"API_CLIENTS['SECRET_SCANNING_KEYS'] must be a URL or a file path, not {value!r}.",
                hint="GitHub's keys are at " + DEFAULTS["SECRET_SCANNING_KEYS"],
                id="api_clients.E006",
            )
        ]
    if value.startswith("https://"):
        return []
    if value.startswith("http://"):
        host = urlsplit(value).hostname or ""
        if host in {"localhost", "127.0.0.1", "::1"}:
            return []
        return [
            Warning(
                f"API_CLIENTS['SECRET_SCANNING_KEYS'] is a plain http URL: {value!r}.",
                hint="Anyone between the site and that host could swap the keys and sign "
                "reports that revoke any client. Use https, or a local file.",
                id="api_clients.W003",
            )
        ]
    if "://" in value:
        return [
            Error(
                f"API_CLIENTS['SECRET_SCANNING_KEYS'] must be an http(s) URL or a file path, "
                f"not {value!r}.",
                id="api_clients.E006",
            )
        ]
    if not Path(value).is_file():
        # A warning, not an error: the file may be mounted after the checks run.
        return [
            Warning(
                f"API_CLIENTS['SECRET_SCANNING_KEYS'] is {value!r}, which is not a file.",
                hint="Secret-scanning reports are answered 503 until it exists.",
                id="api_clients.W002",
            )
        ]
    return []


@register(Tags.urls)
def check_site_history_report(app_configs, **kwargs):
    """Wagtail's site history report is to be answered by the app's ``SiteHistoryView``.

    Wagtail's own sorts every log entry ever written for each page it shows; it
    still works, so this is a warning.
    """
    from .views.site_history import SiteHistoryView

    try:
        path = reverse("wagtailadmin_reports:site_history")
    except NoReverseMatch:  # no Wagtail admin in this site's URLs
        return []
    try:
        view_class = getattr(resolve(path).func, "view_class", None)
    except Resolver404:
        return []
    if isinstance(view_class, type) and issubclass(view_class, SiteHistoryView):
        return []
    prefix = path.removesuffix("reports/site-history/")
    return [
        Warning(
            "The site history report is Wagtail's own, which reads every log entry "
            "for each page it shows.",
            hint=(
                f'In the site\'s urls.py, put path("{prefix.lstrip("/")}", '
                'include("api_clients.admin_urls")) just before the include of '
                "Wagtail's admin URLs."
            ),
            id="api_clients.W005",
        )
    ]
