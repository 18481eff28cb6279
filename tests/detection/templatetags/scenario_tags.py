"""Inclusion tags of the template scenarios: one whose template reads a relation, one
whose Python does."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("scenarios/_card.html")
def class_card(school_class: Any) -> dict[str, Any]:
    return {"card": school_class}


@register.inclusion_tag("scenarios/_badge.html")
def teacher_badge(school_class: Any) -> dict[str, Any]:
    return {"email": school_class.teacher.email}  # expect: tag-python
