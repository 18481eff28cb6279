"""The settings that switch django-debug-toolbar on for a panel test (pytest-django's
``settings`` fixture restores them afterwards). The testproject itself only turns the
toolbar on with PERFKIT_TOOLBAR=1 (docs/browser.md)."""

from __future__ import annotations


def toolbar_settings(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "debug_toolbar"]
    settings.MIDDLEWARE = ["debug_toolbar.middleware.DebugToolbarMiddleware", *settings.MIDDLEWARE]
    settings.ROOT_URLCONF = "tests.contrib.toolbar_site"
    settings.DEBUG = True
    settings.DEBUG_TOOLBAR_CONFIG = {
        "IS_RUNNING_TESTS": False,
        "SHOW_TOOLBAR_CALLBACK": "tests.contrib.toolbar_site.show_toolbar",
        "TOOLBAR_STORE_CLASS": "debug_toolbar.store.MemoryStore",
    }
    settings.DEBUG_TOOLBAR_PANELS = [
        "tests.contrib.toolbar_panels.ToolbarOwnQueriesPanel",
        "debug_toolbar.panels.sql.SQLPanel",
        "perfkit.contrib.debug_toolbar.panel.PerfkitPanel",
    ]
