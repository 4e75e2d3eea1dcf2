"""OpsDesk settings: one module, configured only by OPSDESK_* environment variables (see docs/operator-guide.md)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"OPSDESK_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


PACKAGE_DIR = Path(__file__).resolve().parent.parent
# pytest (8.2+) announces itself in PYTEST_VERSION: tests get a throw-away data directory and run jobs inline.
TESTING = "PYTEST_VERSION" in os.environ
if TESTING and not env("DATA_DIR"):
    import atexit
    import shutil
    import tempfile

    os.environ["OPSDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="opsdesk-test-")
    atexit.register(shutil.rmtree, os.environ["OPSDESK_DATA_DIR"], ignore_errors=True)
DATA_DIR = Path(env("DATA_DIR", "./var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Use OPSDESK_SECRET_KEY, else a key generated once and kept in the data directory."""
    if key := env("SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        try:
            with open(path, "x", encoding="ascii") as fh:
                fh.write(secrets.token_urlsafe(50))
            path.chmod(0o600)
        except FileExistsError:  # another process wrote it first
            pass
    return path.read_text(encoding="ascii").strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [h.strip() for h in env("CSRF_TRUSTED_ORIGINS").split(",") if h.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "huey.contrib.djhuey",
    "opsdesk.core",
    "opsdesk.accounts",
    "opsdesk.calendars",
    "opsdesk.sla",
    "opsdesk.incidents",
    "opsdesk.portal",
    "opsdesk.notifications",
    "opsdesk.mailin",
    "opsdesk.search",
    "opsdesk.knowledge",
    "opsdesk.problems",
    "opsdesk.followups",
    "opsdesk.confirmations",
    "opsdesk.servicerequests",
    "opsdesk.cmdb",
    "opsdesk.assets",
    "opsdesk.supplies",
]

MIDDLEWARE = [
    "opsdesk.core.middleware.BearerApiMiddleware",  # bearer-token API calls take OPSDESK_API_MIDDLEWARE below
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "opsdesk.core.middleware.ContentSecurityPolicyMiddleware",
]

# What an API call authenticated by a bearer token goes through (core.middleware.BearerApiMiddleware): no
# session, CSRF, messages or static files, which only a browser needs.
OPSDESK_API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "opsdesk.core.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "opsdesk.config.urls"
WSGI_APPLICATION = "opsdesk.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opsdesk.config.navigation.navigation",
            ],
        },
    }
]

# Form widgets render through Jinja2 (Django's own widget templates), the pages through the template language.
FORM_RENDERER = "opsdesk.core.forms.FormRenderer"

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_PREPARED", True):
        # Allows the hot-path statements of core.sql to be prepared (they ask for it); every other query
        # keeps client-side binding, which psycopg never prepares. OPSDESK_DB_PREPARED=0 for a
        # transaction-mode pooler that cannot carry prepared statements.
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "opsdesk.sqlite3",
            "OPTIONS": {
                # IMMEDIATE: a write transaction takes the write lock at BEGIN, so two writers queue on
                # busy_timeout instead of deadlocking when both try to upgrade a read lock.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                    " PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456; PRAGMA temp_store=MEMORY;"
                ),
            },
            # A file, not Django's shared-cache in-memory default: there concurrent writers get "table is
            # locked" at once instead of waiting, so tests of concurrent requests could not pass.
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Background jobs (Huey) ----------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", default=TESTING)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": env("HUEY_NAME", "opsdesk"),
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "opsdesk",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

# --- Cache ----------------------------------------------------------------------------------------
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]
if TESTING:  # the real hashers are deliberately slow; tests create hundreds of users
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- I18n / time ----------------------------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    # Attachments live outside the web root and are streamed by a view that checks visibility.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(DATA_DIR / "attachments"), "base_url": None}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve straight from the app folders when collectstatic has not run
MAX_ATTACHMENT_BYTES = int(env("MAX_ATTACHMENT_MB", "20")) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Mail -----------------------------------------------------------------------------------------
# Outgoing mail (notifications): Django's SMTP backend. OPSDESK_SMTP_SECURITY is none, starttls or ssl.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env("SMTP_HOST", env("EMAIL_HOST", "localhost"))
SMTP_SECURITY = env("SMTP_SECURITY", "none").strip().lower()
EMAIL_PORT = int(env("SMTP_PORT", env("EMAIL_PORT", {"ssl": "465", "starttls": "587"}.get(SMTP_SECURITY, "25"))))
EMAIL_HOST_USER = env("SMTP_USER")
EMAIL_HOST_PASSWORD = env("SMTP_PASSWORD")
EMAIL_USE_TLS = SMTP_SECURITY == "starttls"
EMAIL_USE_SSL = SMTP_SECURITY == "ssl"
EMAIL_TIMEOUT = int(env("SMTP_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = env("SMTP_FROM", env("EMAIL_FROM", "opsdesk@localhost"))
# The domain of the Message-IDs of notification mails (<INC-…@domain>): replies thread on it.
OPSDESK_MAIL_DOMAIN = env("MAIL_DOMAIN", "opsdesk.localhost")
# The address people open OpsDesk at, for the links in e-mail and robot messages (e.g. https://itsm.example.cn).
OPSDESK_SITE_URL = env("SITE_URL").rstrip("/")
# A worker that claimed a delivery owns it this long; past it (the worker died) the delivery is retried.
# Keep it well above the SMTP and robot timeouts, or a slow but live send could be repeated.
OPSDESK_ROBOT_TIMEOUT = int(env("ROBOT_TIMEOUT", "10"))
# The only hosts a group robot's webhook may call (a manager must not aim the workers at internal hosts).
OPSDESK_ROBOT_ALLOWED_HOSTS = [h.strip().lower() for h in env(
    "ROBOT_ALLOWED_HOSTS", "oapi.dingtalk.com,qyapi.weixin.qq.com,open.feishu.cn,open.larksuite.com").split(",")
    if h.strip()]
OPSDESK_DELIVERY_LEASE_SECONDS = int(env("DELIVERY_LEASE_SECONDS",
                                         str(max(EMAIL_TIMEOUT, OPSDESK_ROBOT_TIMEOUT) * 2 + 60)))

# --- E-mail intake (mailin) ----------------------------------------------------------------------
# A private CA's certificate (PEM) for the IMAP servers; empty: the system's CAs. Certificates are always checked.
OPSDESK_MAIL_CA_FILE = env("MAIL_CA_FILE")
OPSDESK_MAIL_MAX_BYTES = int(env("MAIL_MAX_MB", "25")) * 1024 * 1024  # larger messages are quarantined
OPSDESK_MAIL_TIMEOUT = float(env("MAIL_TIMEOUT", "30"))  # seconds per IMAP network operation
OPSDESK_MAIL_POLL_BATCH = int(env("MAIL_POLL_BATCH", "200"))  # messages per mailbox per poll; the rest next time
# Unknown senders of a contract without a mailbox (mail piped in with --contract): create_requester | reject.
OPSDESK_MAIL_UNKNOWN_SENDER = env("MAIL_UNKNOWN_SENDER", "create_requester")

# --- Security headers -----------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Domain defaults ------------------------------------------------------------------------------
OPSDESK_PAGE_SIZE = 25
OPSDESK_MAX_PAGE_SIZE = 200
OPSDESK_LEVEL_HELP = {
    1: _("System down or under serious attack; business cannot run; wide impact."),
    2: _("Performance severely degraded or a security event seriously affecting business. "
         "Lasting over 4 h, it becomes level 1."),
    3: _("Performance impaired, part of the business affected, most still works. "
         "Lasting over 4 h, it becomes level 2."),
    4: _("Consultation or technical support need; little or no business impact."),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # The Huey consumer installs its own handler on "huey"; propagating too would print every line twice.
    "loggers": {"django.db.backends": {"level": "INFO"}, "huey": {"level": "INFO", "propagate": False}},
}
