#!/usr/bin/env python
"""The real-app gate's Wagtail site (see scripts/gates/wagtail)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatesite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
