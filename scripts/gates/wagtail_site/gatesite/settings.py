"""Settings of the gate's Wagtail site.

Environment:
- ``GATE_DATA_DIR``: where ``db.sqlite3`` and ``media/`` live (each run gets a pristine
  copy, so both runs start from the same rows and files);
- ``GATE_PERFKIT``: ``on`` installs perfkit (app, middleware first, ``ACTION: "log"``);
  anything else leaves perfkit out entirely.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("GATE_DATA_DIR", BASE_DIR))
PERFKIT_ON = os.environ.get("GATE_PERFKIT") == "on"

SECRET_KEY = "gate-only-not-secret"  # a throwaway site in a temp dir
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "gatesite",
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
    "django_filters",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

if PERFKIT_ON:
    INSTALLED_APPS.append("perfkit")
    MIDDLEWARE.insert(0, "perfkit.middleware.PerfkitMiddleware")  # first: sees every query
    PERFKIT = {"ACTION": "log", "EXPLAIN_SLOW_QUERIES": False}

ROOT_URLCONF = "gatesite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "db.sqlite3",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Fast hashing: the seed creates users, the gate never checks a password.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

WAGTAIL_SITE_NAME = "perfkit gate"
WAGTAILADMIN_BASE_URL = "http://testserver"
WAGTAIL_ENABLE_UPDATE_CHECK = False
# The admin's "?v=" on static URLs hashes INSTALLED_APPS, so adding "perfkit" would change
# every admin page; the gate compares bodies, so leave the query string out.
WAGTAILADMIN_STATIC_FILE_VERSION_STRINGS = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["txt", "csv", "pdf"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The gate's request runner attaches its own handler to "perfkit"; nothing else
    # should print request noise (404s, etc.) into the gate's output.
    "loggers": {"django.request": {"level": "CRITICAL"}},
}
