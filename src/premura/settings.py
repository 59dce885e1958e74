"""Premura settings: one file, read from the environment.

The defaults run as they are: SQLite under var/, Huey on SQLite, e-mail to the console.
DATABASE_URL and REDIS_URL switch to the scale path (PostgreSQL, Redis). Business policy
(SLA targets, calendars, compensation) lives in the database, not here.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from premura.core.throttle import parse_rate
from premura.secret_key import configured_secret_key

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("PREMURA_VAR_DIR", PROJECT_DIR / "var"))
# var/ holds the database, the Huey queue, uploads and the secret key: only our own user reads it.
# The umask makes every file a Premura process creates (SQLite and its -wal/-shm, huey's queue,
# uploads) 0600 and every directory 0700, whoever created var/ first.
os.umask(0o077)
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
VAR_DIR.chmod(0o700)


def envstr(name: str, default: str = "") -> str:
    """A string from NAME, or from the file named by NAME_FILE (for secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def require_extra(module: str, extra: str, setting: str) -> None:
    """Fail at start-up, saying what to install, when `setting` needs a client that is an extra."""
    try:
        __import__(module)
    except ImportError:
        raise ImproperlyConfigured(
            f"{setting} needs the {module} package: pip install 'premura[{extra}]'"
        ) from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in envstr(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)
# SECRET_KEY_FILE or SECRET_KEY, refused if weak; unset: a random key made for this installation
# at first start (premura/secret_key.py).
SECRET_KEY = configured_secret_key(os.environ, VAR_DIR)
# Former keys, comma-separated, while a new SECRET_KEY takes over: signatures made with them (portal
# links, sessions) still verify and mailbox passwords encrypted under them still decrypt.
SECRET_KEY_FALLBACKS = envlist("SECRET_KEY_FALLBACKS", "")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the API docs' Swagger UI from our static files, not a CDN
    "django_htmx",
    "template_partials",
    "huey.contrib.djhuey",
    "axes",  # failed log-ins, by username and by address (settings.py, "Security")
    "premura.core",
    "premura.shop",
    "premura.customers",
    "premura.commerce",
    "premura.shipping",
    "premura.agents",
    "premura.conversations",
    "premura.sla",
    "premura.care",
    "premura.channels",
    "premura.console",
    "premura.portal",
    "premura.api",
    "premura.demo",
]

MIDDLEWARE = [
    "premura.core.security.RequestSizeLimitMiddleware",  # before anything reads the body
    "django.middleware.security.SecurityMiddleware",
    "premura.core.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "premura.api.middleware.ApiLanguageMiddleware",  # /api/ speaks its Accept-Language, English by default
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "premura.urls"
WSGI_APPLICATION = "premura.wsgi.application"

# A directory of the shop's own templates, searched before Premura's: e.g. the acknowledgement's
# text, channels/emails/acknowledgement_body.txt (docs/architecture.md, "Acknowledgement").
TEMPLATE_OVERRIDES_DIR = envstr("TEMPLATE_OVERRIDES_DIR")
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [*([Path(TEMPLATE_OVERRIDES_DIR)] if TEMPLATE_OVERRIDES_DIR else []), BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "premura.shop.context_processors.shop",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise. The SQLite settings are part
# of the product (see docs/decisions/0002-sqlite-settings.md): WAL so readers never block the
# writer, IMMEDIATE transactions so two writers queue instead of failing on upgrade.
DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'premura.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    require_extra("psycopg", "postgres", "DATABASE_URL")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456; PRAGMA temp_store=MEMORY; "
            "PRAGMA wal_autocheckpoint=10000; PRAGMA journal_size_limit=67108864;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": envstr("TEST_DATABASE_NAME", "") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = envstr("REDIS_URL", "")
if REDIS_URL:
    require_extra("redis", "redis", "REDIS_URL")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    HUEY = {"huey_class": "huey.RedisHuey", "name": "premura", "url": REDIS_URL}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    HUEY = {
        "huey_class": "premura.core.queue.WalSqliteHuey",
        "name": "premura",
        "filename": str(VAR_DIR / "huey.sqlite3"),
    }
HUEY["immediate"] = envbool("HUEY_IMMEDIATE", False)
HUEY["consumer"] = {"workers": envint("HUEY_WORKERS", 2), "worker_type": "thread"}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:inbox"
LOGOUT_REDIRECT_URL = "console:login"

LANGUAGE_CODE = envstr("LANGUAGE_CODE", "it")
LANGUAGES = [("it", _("Italian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["premura.formats"]  # European English dates (formats/en/formats.py)
TIME_ZONE = envstr("TIME_ZONE", "Europe/Rome")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "assistenza@localhost")
# The SMTP server that mail to customers leaves through, for mailboxes that name none of their own
# (channels.Mailbox). Empty EMAIL_HOST: no server; the outbox keeps the mail, visibly not sent.
EMAIL_HOST = envstr("EMAIL_HOST", "")
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)

# Inbound mail (channels): the largest message the LMTP listener takes (bigger: 552, the sending
# server bounces it), and how often `premura poll_imap` (without --once) polls the IMAP mailboxes.
EMAIL_MAX_MESSAGE_BYTES = envint("EMAIL_MAX_MESSAGE_BYTES", 50 * 1024 * 1024)
IMAP_POLL_SECONDS = envint("IMAP_POLL_SECONDS", 60)

# Served over HTTPS (SITE_URL says so): the session and CSRF cookies never travel in clear.
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", SITE_URL.startswith("https://"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# How long a signed customer link (portal) stays valid.
PORTAL_LINK_MAX_AGE_DAYS = envint("PORTAL_LINK_MAX_AGE_DAYS", 30)
# Page size of the console's inbox views.
INBOX_PAGE_SIZE = envint("INBOX_PAGE_SIZE", 25)
# Files an agent attaches to one reply: how many, and how large each may be.
ATTACHMENT_MAX_COUNT = envint("ATTACHMENT_MAX_COUNT", 5)
ATTACHMENT_MAX_BYTES = envint("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every handler masks the tokens of portal links (premura.core.security.MaskPortalLinks).
    "filters": {"mask_portal_links": {"()": "premura.core.security.MaskPortalLinks"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_portal_links"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["mask_portal_links"],
        },
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        # The worker (run_huey) gives the huey logger a handler of its own, with timestamps.
        "huey": {"propagate": False},
        # Django's own loggers through our handlers, not the defaults that would not mask links.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # aiosmtpd logs every LMTP command at INFO; premura.channels.lmtp logs each stored message.
        "mail.log": {"level": "WARNING"},
    },
}

# ---------------------------------------------------------------------------------------------
# Security: the defences of docs/architecture.md "Security" and their settings, kept together.
# ---------------------------------------------------------------------------------------------

# Uploads land under var/media, readable by our own user only (the umask above does the rest).
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Phone numbers written without a country code belong to this region (ISO 3166 code).
PHONE_DEFAULT_REGION = envstr("PHONE_DEFAULT_REGION", "IT").upper()

# Requests whose Content-Length is over this are refused with 413 before their body is read
# (premura.core.security). The largest legitimate request is an agent's reply with the most files
# allowed, each of the largest size, plus 1 MB for the rest of the form (51 MB by default).
MAX_REQUEST_BYTES = envint("MAX_REQUEST_BYTES", ATTACHMENT_MAX_COUNT * ATTACHMENT_MAX_BYTES + 1024 * 1024)
# Tracking webhooks (a provider's event, or the shop's batch of at most 1,000 events) are refused
# with 413 over this size, before their body is read or stored.
TRACKING_WEBHOOK_MAX_BYTES = envint("TRACKING_WEBHOOK_MAX_BYTES", 1024 * 1024)
# Shops' webhooks (one order, one refund) likewise.
SHOP_WEBHOOK_MAX_BYTES = envint("SHOP_WEBHOOK_MAX_BYTES", 1024 * 1024)
# A refund to a card is promised to reach the customer's bank within this many calendar days of
# the platform's acceptance (commerce.submission); store credit is usable at once.
REFUND_ARRIVAL_DAYS = envint("REFUND_ARRIVAL_DAYS", 10)
# Kept promises (care.promises, decision 0032): a step the customer waits on is checked this long
# before its expected-by date (never sooner than halfway there), so the customer hears from us
# before the date passes. A refund is checked once its promised day (shop's calendar) is over,
# plus this grace for the banks' overnight postings: only then do we know it is late.
PROMISE_WARNING_LEAD = datetime.timedelta(hours=envint("PROMISE_WARNING_LEAD_HOURS", 24))
PROMISE_REFUND_GRACE = datetime.timedelta(hours=envint("PROMISE_REFUND_GRACE_HOURS", 9))
# Django's own caps once the body is read: form fields and JSON bodies held in memory (a JSON
# body over this is a 400), and the size above which an uploaded file is spooled to var/ on disk.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Served over HTTPS: browsers must never try plain HTTP again for a year (HSTS).
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if SITE_URL.startswith("https://") else 0)
# Links leaving the site carry no path: no URL of ours (a case, an order) reaches another site.
SECURE_REFERRER_POLICY = "same-origin"

# Reverse proxies in front of Premura that append the client's address to X-Forwarded-For: 0 when
# clients connect directly. Rate limits by address count the address the outermost proxy saw.
TRUSTED_PROXIES = envint("TRUSTED_PROXIES", 0)

# Log-ins (console and admin), by django-axes: after LOGIN_FAILURE_LIMIT failures for a username,
# or from an address, both are refused with 429 for LOGIN_COOLOFF_MINUTES (every attempt in the
# meantime starts the wait again). A success clears the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=envint("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "premura.core.throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "premura.console.lockout.login_locked_out"
AXES_VERBOSE = False

# Rate limits (premura.core.throttle; "10/h", "5/10m", "100/m"): answered with 429 and Retry-After.
# Messages from the portal (contact form and replies), per order and per address.
THROTTLE_PORTAL_ORDER = envstr("THROTTLE_PORTAL_ORDER", "10/h")
THROTTLE_PORTAL_IP = envstr("THROTTLE_PORTAL_IP", "30/h")
# API requests per token.
THROTTLE_API_TOKEN = envstr("THROTTLE_API_TOKEN", "1200/m")
for _rate in (THROTTLE_PORTAL_ORDER, THROTTLE_PORTAL_IP, THROTTLE_API_TOKEN):
    parse_rate(_rate)  # a typo stops the start, not the first throttled request
