"""Test-only URLs for the debug-toolbar panel tests. Imported only once the toolbar is
installed (its URLs import its models); the settings are in toolbar_settings.py."""

from __future__ import annotations

from debug_toolbar.toolbar import debug_toolbar_urls

from testproject.urls import urlpatterns as site_urlpatterns

urlpatterns = [*site_urlpatterns, *debug_toolbar_urls()]


def show_toolbar(request):
    return True
