"""System checks of the detection settings (``perfkit.E1xx`` / ``perfkit.W1xx``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.core.checks import CheckMessage, Error, Warning

from perfkit.conf import user_settings
from perfkit.detection.allowlist import entry_problem, is_location_pattern


def check_detection_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """ALLOWLIST entries must be usable and name real relations; CALL_SITE_EXCLUDE
    entries must be strings."""
    configured = user_settings()
    messages: list[CheckMessage] = []
    allowlist = configured.get("ALLOWLIST", ())
    if isinstance(allowlist, list | tuple):
        for index, entry in enumerate(allowlist):
            problem = entry_problem(entry)
            if problem is not None:
                messages.append(
                    Error(
                        f"PERFKIT['ALLOWLIST'][{index}] {problem}.",
                        hint='Use "app_label.Model.field", "path/file.py:LINE" or a dict '
                        "with kind/relation/location/sql; see docs/detection.md.",
                        id="perfkit.E101",
                    )
                )
                continue
            relation = entry.get("relation") if isinstance(entry, dict) else entry
            if isinstance(entry, str) and is_location_pattern(entry):
                relation = None
            unknown = _unknown_relation(relation) if relation else None
            if unknown:
                messages.append(
                    Warning(
                        f"PERFKIT['ALLOWLIST'][{index}] {unknown}, so it can never match.",
                        hint="Relations are named app_label.Model.attribute, as in findings.",
                        id="perfkit.W101",
                    )
                )
    exclude = configured.get("CALL_SITE_EXCLUDE", ())
    if isinstance(exclude, list | tuple):
        for index, entry in enumerate(exclude):
            if not isinstance(entry, str) or not entry.strip():
                messages.append(
                    Error(
                        f"PERFKIT['CALL_SITE_EXCLUDE'][{index}] must be a non-empty string, "
                        f"got {entry!r}.",
                        hint='Use a module prefix ("myproject.db") or a path pattern '
                        '("*/helpers/*.py").',
                        id="perfkit.E102",
                    )
                )
    return messages


def _unknown_relation(relation: str) -> str | None:
    """Why ``relation`` names nothing, or None when it names an attribute (or is a pattern)."""
    if any(character in relation for character in "*?["):
        return None
    parts = relation.split(".")
    if len(parts) != 3:
        return f"relation {relation!r} is not app_label.Model.attribute"
    app_label, model_name, attribute = parts
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        return f"names no installed model {app_label}.{model_name}"
    if not hasattr(model, attribute):
        return f"names no attribute {attribute!r} of {model._meta.label}"
    return None
