from __future__ import annotations

from django.apps import AppConfig


class PerfkitConfig(AppConfig):
    name = "perfkit"
    verbose_name = "perfkit"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        # Registration only: no patching, no queries (see docs/architecture.md).
        from perfkit import checks

        checks.register()
