"""The one settings module, read from the environment with strict parsing.

Defaults are for the laptop of a crisis cell with no network: SQLite in the user's data
folder, a secret generated once and kept there, French interface. A server sets
CRISISCELL_DATABASE_URL=postgres://…, CRISISCELL_SECRET_KEY (or _FILE), CRISISCELL_ALLOWED_HOSTS.
Every secret may come from a file: NAME_FILE holds the path.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import platformdirs
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str | None = None) -> str | None:
    """CRISISCELL_<name>, or the content of the file named by CRISISCELL_<name>_FILE."""
    key = f"CRISISCELL_{name}"
    if key in os.environ:
        return os.environ[key]
    if f"{key}_FILE" in os.environ:
        return Path(os.environ[f"{key}_FILE"]).read_text(encoding="utf-8").strip()
    return default


def env_bool(name: str, default: bool) -> bool:
    raw = env(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"CRISISCELL_{name}: expected true or false, got {raw!r}")


def env_list(name: str, default: str) -> list[str]:
    return [x.strip() for x in (env(name, default) or "").split(",") if x.strip()]


DATA_DIR = Path(env("DATA_DIR") or platformdirs.user_data_dir("crisiscell", appauthor=False))


def _secret_key() -> str:
    configured = env("SECRET_KEY")
    if configured:
        return configured
    # Laptop mode: one secret per installation, generated on first start, kept private.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crisiscell.web",
    "crisiscell.inventory",
    "crisiscell.crisis",
    "crisiscell.directory",
    "crisiscell.containment",
    "crisiscell.reopening",
    "crisiscell.continuity",
    "crisiscell.kits",
    "crisiscell.api",
    "ninja",  # serves the API documentation's assets from here: no CDN
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "crisiscell.web.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "crisiscell.web.middleware.FrenchFirstMiddleware",
    "crisiscell.web.middleware.CleanQueryMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Every page needs a login unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # After the password, the one-time code: see crisiscell.web.two_factor.
    "crisiscell.web.two_factor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as its documentation asks: refuses logins after too many failures.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed-login throttling: after 5 failures for one user name from one address, that pair
# waits 15 minutes. Counted in the database, so it holds across server processes.
AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5") or 5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"

ROOT_URLCONF = "crisiscell.urls"
WSGI_APPLICATION = "crisiscell.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'crisiscell.db'}"
DATABASE_URL = env("DATABASE_URL", DEFAULT_DATABASE_URL) or DEFAULT_DATABASE_URL
if not DATABASE_URL.startswith(("sqlite:", "postgres:", "postgresql:")):
    raise ImproperlyConfigured(
        f"CRISISCELL_DATABASE_URL: expected sqlite:///path.db or postgres://…, got {DATABASE_URL!r}"
    )
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    if _db["NAME"] not in ("", ":memory:"):
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # SQLite is a production database here: WAL, a busy timeout, IMMEDIATE transactions.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    _db["TEST"] = {"NAME": env("TEST_SQLITE_NAME")} if env("TEST_SQLITE_NAME") else {}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "board"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
#: The language the system writes its own crisis-log entries in (they are hashed as written).
LOG_LANGUAGE = env("LOG_LANGUAGE", "fr")
if LOG_LANGUAGE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"CRISISCELL_LOG_LANGUAGE: expected fr or en, got {LOG_LANGUAGE!r}")
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("TIME_ZONE", "Europe/Brussels")

STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT")  # only a server collects static files; a laptop serves the package
WHITENOISE_USE_FINDERS = True  # serve straight from the package: no collectstatic on a laptop
WHITENOISE_AUTOREFRESH = DEBUG

#: Two-factor login (TOTP): "required" sends every user to enrol an authenticator app after
#: the password; "optional" asks the code only of users who enrolled one.
TWO_FACTOR = env("TWO_FACTOR", "required")
if TWO_FACTOR not in ("required", "optional"):
    raise ImproperlyConfigured(
        f"CRISISCELL_TWO_FACTOR: expected required or optional, got {TWO_FACTOR!r}"
    )
OTP_TOTP_ISSUER = "crisiscell"
OTP_TOTP_THROTTLE_FACTOR = 1  # each wrong code doubles the wait before the next try


def _notify_urls(raw: str) -> dict[str, str]:
    """``sms=URL email=URL`` (spaces or new lines between) → {"sms": URL, "email": URL}."""
    urls: dict[str, str] = {}
    for item in raw.split():
        channel, sep, url = item.partition("=")
        if not sep or channel not in ("sms", "email") or "://" not in url:
            raise ImproperlyConfigured(
                f"CRISISCELL_NOTIFY_URLS: expected sms=URL or email=URL, got {item[:40]!r}…"
            )
        if channel in urls:
            raise ImproperlyConfigured(f"CRISISCELL_NOTIFY_URLS: {channel}= given twice")
        if "{to}" not in url:
            raise ImproperlyConfigured(
                f"CRISISCELL_NOTIFY_URLS: the {channel} URL needs {{to}} where the patient's "
                "number or address goes"
            )
        urls[channel] = url
    return urls


#: Patient messages of a reprogramming plan, delivered by Apprise: one URL per channel,
#: ``{to}`` standing for the patient's number or address. They hold the gateway's and the
#: mail server's credentials: set them in the environment or in CRISISCELL_NOTIFY_URLS_FILE.
NOTIFY_URLS = _notify_urls(env("NOTIFY_URLS", "") or "")
#: The number a patient is given when the directory has no direct line for the service
#: or its site: the group's switchboard.
SWITCHBOARD_PHONE = (env("SWITCHBOARD_PHONE", "") or "").strip()

#: Uploaded files (appointments, census: patient data) stay in memory, never in a temporary
#: file on disk; the pages refuse files over 50 MiB.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 60 * 2**20

#: Downtime kits are written to these folders (separated by the system's path separator,
#: ":" or ";"): the folders standalone PCs or USB keys sync from.
KIT_FOLDERS = [
    Path(p).expanduser()
    for p in (env("KIT_FOLDERS", "") or str(DATA_DIR / "kits")).split(os.pathsep)
    if p.strip()
]
#: Every how many minutes the kits are made again (0: only on demand).
try:
    KIT_EVERY_MINUTES = int(env("KIT_EVERY_MINUTES", "15") or 15)
except ValueError:
    raise ImproperlyConfigured("CRISISCELL_KIT_EVERY_MINUTES: expected whole minutes") from None
if KIT_EVERY_MINUTES < 0:
    raise ImproperlyConfigured("CRISISCELL_KIT_EVERY_MINUTES: expected 0 or more minutes")


SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_NAME = "crisiscell_session"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if SESSION_COOKIE_SECURE:  # behind HTTPS: tell browsers never to come back over plain HTTP
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
SESSION_COOKIE_AGE = 12 * 3600  # one shift
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}
