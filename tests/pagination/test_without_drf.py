"""perfkit without DRF: ``import perfkit``, app loading and the system checks all work
when ``rest_framework`` cannot be imported; only ``perfkit.pagination`` needs it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import sys

    class NoDRF:
        def find_spec(self, name, path=None, target=None):
            if name == "rest_framework" or name.startswith("rest_framework."):
                raise ImportError("DRF is not installed")
            return None

    sys.meta_path.insert(0, NoDRF())

    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "perfkit"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        ROOT_URLCONF=__name__,
    )
    urlpatterns = []
    import perfkit
    django.setup()
    from django.core import checks

    messages = checks.run_checks()
    assert not [m for m in messages if m.id.startswith("perfkit.")], messages
    assert not any(name.startswith("rest_framework") for name in sys.modules)
    try:
        import perfkit.pagination
    except ImportError as error:
        print("pagination:", error)
    print("ok")
    """
)


def test_perfkit_loads_and_checks_without_drf():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["pagination: DRF is not installed", "ok"]
