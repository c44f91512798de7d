"""RoleCall settings, read from environment variables.

Development needs none: DEBUG is on, with an insecure key and local hosts. A deploy sets
DJANGO_DEBUG=0, DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS, and then passes
`manage.py check --deploy`. README.md lists every variable.
"""

import os
import zoneinfo
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, *, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}."
    )


def env_list(name: str, *, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, *, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}.") from None


DEBUG = env_bool("DJANGO_DEBUG", default=True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. With DJANGO_DEBUG=0 RoleCall needs a long random "
            "secret key, e.g. from: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "django-insecure-rolecall-development-key-never-use-this-in-production"

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "lessons.views.errors.csrf_failure"  # a page that says what to do

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "lessons",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.HeadAsGetMiddleware",
    "config.middleware.BodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its 429 page.
    "axes.middleware.AxesMiddleware",
]

# No form here takes a file: a file part posted anyway is read past and dropped, never
# written to a temporary file (the simulator's form is multipart for its long policies).
FILE_UPLOAD_HANDLERS: list[str] = []

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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


def sqlite_database(name: str | Path) -> dict[str, object]:
    """SQLite, the zero-setup default: a file, tuned for a class of concurrent learners."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": Path(name),
        # Each worker thread keeps its connection (and the PRAGMAs below) between requests:
        # opening the file and setting it up again cost a few percent of every request.
        "CONN_MAX_AGE": env_int("DJANGO_CONN_MAX_AGE", default=600),
        "OPTIONS": {
            # A learner's change reads the world, acts and writes it back in one transaction:
            # IMMEDIATE takes the write lock at the start, so concurrent changes queue instead
            # of failing with "database is locked"; WAL lets readers go on meanwhile.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        # Tests use a file, not SQLite's shared in-memory cache, whose table locks fail at
        # once instead of waiting: concurrency tests need the real locking.
        "TEST": {
            "NAME": os.environ.get("DJANGO_TEST_DATABASE_PATH")
            or str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")
        },
    }


# DATABASE_URL (e.g. postgres://rolecall:secret@127.0.0.1:5432/rolecall) selects another
# database, PostgreSQL for a class on a server; without it, SQLite at DATABASE_PATH.
# (Lower-case names: Django's error pages show UPPER-case settings, and this one has a password.)
if _database_url := os.environ.get("DATABASE_URL", "").strip():
    import dj_database_url

    _database = dj_database_url.parse(
        _database_url,
        # Each gunicorn worker thread keeps its connection for this many seconds instead of
        # connecting per request (a new PostgreSQL connection costs a few milliseconds);
        # a connection the server dropped meanwhile is noticed and replaced before use.
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", default=600),
        conn_health_checks=True,
    )
    if _database["ENGINE"] == "django.db.backends.sqlite3":  # sqlite:///path: same tuning
        _database = {**_database, **sqlite_database(_database["NAME"])}
    DATABASES = {"default": _database}
else:
    DATABASES = {
        "default": sqlite_database(os.environ.get("DATABASE_PATH") or BASE_DIR / "db.sqlite3")
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds the join rate limit's counts of wrong codes, so it must be one for all the
# server's worker processes (Django's default, local memory, is one per process: 4 workers
# would allow 4 times the limit). A table in the database (created by lessons' migration
# 0006) needs nothing else to run and is read only when someone posts a join code.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "rolecall_cache",
        # Counters of what strangers do (lessons/limits.py, sign-in failures) live here: room
        # for many (each a short row), and past it a third is culled, so no one can grow the
        # table. Filling it takes 100,000 counters, each limited per address.
        "OPTIONS": {"MAX_ENTRIES": 100_000, "CULL_FREQUENCY": 3},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Classroom: instructors sign in with Django's auth views; learners join with a code, and
# wrong join or resume codes are rate-limited per client address (lessons/classes.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out sign-in (lessons/accounts.py)
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "lessons.accounts.SignInFailures"  # axes's cache handler (CACHES: shared, capped)
AXES_FAILURE_LIMIT = env_int("DJANGO_SIGN_IN_FAILURES", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_SIGN_IN_COOLOFF_MINUTES", default=5))
AXES_LOCKOUT_PARAMETERS = "lessons.accounts.lockout_parameters"  # account, address; see there
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a lockout ends COOLOFF after it began
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "lessons.limits.client_address"
AXES_DISABLE_ACCESS_LOG = True  # no table of sign-ins: nothing strangers can grow
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# Password reset needs a way to send mail: its pages exist only when DJANGO_EMAIL_HOST is set
# (an SMTP server, STARTTLS unless DJANGO_EMAIL_USE_TLS=0).
_email_host = os.environ.get("DJANGO_EMAIL_HOST", "").strip()
# Without a server MAILERS stays unset (Django's defaults): nothing else RoleCall does sends mail.
if _email_host:
    MAILERS = {}
    MAILERS["default"] = {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": _email_host,
            "port": env_int("DJANGO_EMAIL_PORT", default=587),
            "username": os.environ.get("DJANGO_EMAIL_HOST_USER", ""),
            "password": os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("DJANGO_EMAIL_USE_TLS", default=True),
        },
    }
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "rolecall@localhost")
ROLECALL_PASSWORD_RESET = bool(_email_host)
# Messages ("Welcome, Sam") in a signed cookie: a learner's visit writes no session row.
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "lessons:teach"
LOGOUT_REDIRECT_URL = "login"
ROLECALL_JOIN_FAILURES_PER_MINUTE = env_int("DJANGO_JOIN_FAILURES_PER_MINUTE", default=10)
# People joining classes from one address per minute: a whole class of 200 behind one router
# joins within the minute; a script filling a class's dashboard with names does not.
ROLECALL_JOINS_PER_ADDRESS_PER_MINUTE = env_int("DJANGO_JOINS_PER_ADDRESS_PER_MINUTE", default=200)
ROLECALL_MAX_LEARNERS_PER_CLASS = env_int("DJANGO_MAX_LEARNERS_PER_CLASS", default=500)
# Self-paced learners' first changes (each stores a learner and a world of up to 200 KB).
ROLECALL_NEW_LEARNERS_PER_ADDRESS_PER_HOUR = env_int(
    "DJANGO_NEW_LEARNERS_PER_ADDRESS_PER_HOUR", default=300
)
# `manage.py prune_learners` removes self-paced work nobody has changed for this many days.
ROLECALL_PRUNE_AFTER_DAYS = env_int("DJANGO_PRUNE_AFTER_DAYS", default=30)
# Behind a reverse proxy every request comes from the proxy's address: trust the address it
# appends to X-Forwarded-For instead. Only when a proxy always sets that header.
ROLECALL_TRUST_X_FORWARDED_FOR = env_bool("DJANGO_TRUST_X_FORWARDED_FOR", default=False)
# The course: one YAML file per scenario (docs/authoring.md), read once per process.
ROLECALL_SCENARIO_DIR = Path(
    os.environ.get("DJANGO_SCENARIO_DIR") or BASE_DIR / "lessons" / "scenarios"
)

LANGUAGE_CODE = "en"
# The zone the instructor's pages show times in (a class's end, the dashboard's update), with
# its abbreviation beside them. Learners' simulated AWS clock is UTC, as AWS's is.
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "").strip() or "UTC"
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(
        f"DJANGO_TIME_ZONE must be an IANA time zone such as Europe/Berlin; got {TIME_ZONE!r}."
    )
# RoleCall is in English only (as AWS's messages it teaches are): no translation machinery.
# With it on, every template variable and date went through it: a class's requests took
# 10-20% longer (measured in-process over the load test's mix of requests).
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Security headers. Everything the app loads comes from itself: no CDN, no inline script
# or style (htmx is told not to inject its indicator style; see templates/base.html).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if not DEBUG:
    # DJANGO_SECURE_SSL_REDIRECT=0 is for a proxy that already redirects HTTP to HTTPS;
    # saying so on purpose also silences check --deploy's reminder about it.
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    if not SECURE_SSL_REDIRECT:
        SILENCED_SYSTEM_CHECKS = ["security.W008"]
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Behind a TLS-terminating proxy: the header it sets, e.g. X-Forwarded-Proto.
    # Only set this when the proxy always overwrites that header.
    if proxy_header := os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER", "").strip():
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + proxy_header.upper().replace("-", "_"), "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # Replaces Django's own console handler, so each record is printed once.
        "django": {"level": os.environ.get("DJANGO_LOG_LEVEL", "INFO"), "propagate": True},
    },
}

# The address learners reach RoleCall at, as the projector shows it and its QR code opens:
# scheme and host only (e.g. https://rolecall.example.org), for a server that sees itself by
# another name than the room does (behind a proxy, or as localhost). Unset: the address the
# instructor's own request came to.
ROLECALL_PUBLIC_URL = os.environ.get("ROLECALL_PUBLIC_URL", "").strip().rstrip("/")
if ROLECALL_PUBLIC_URL:
    _public = urlsplit(ROLECALL_PUBLIC_URL)
    if _public.scheme not in ("http", "https") or not _public.hostname or _public.path or _public.query or _public.fragment:  # fmt: skip
        raise ImproperlyConfigured(
            "ROLECALL_PUBLIC_URL is the scheme and host learners reach RoleCall at, like "
            f"https://rolecall.example.org (no path); got {ROLECALL_PUBLIC_URL!r}."
        )

# Classroom dashboard: a learner is "stuck" after this many minutes without progress on a step,
# or this many failed checks of it.
ROLECALL_STUCK_MINUTES = int(os.environ.get("ROLECALL_STUCK_MINUTES", "5"))
ROLECALL_STUCK_FAILED_CHECKS = int(os.environ.get("ROLECALL_STUCK_FAILED_CHECKS", "3"))
