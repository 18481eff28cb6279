"""Admin scenarios: changelists and inline formsets that read a relation row by row.

One admin site per scenario (a model has one ModelAdmin per site). The admin option that
should be reported carries ``# expect: NAME``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import path

from testproject.school.models import Class, Enrollment, Teacher


class LookupClassAdmin(admin.ModelAdmin):
    list_display = ["name", "teacher__email"]  # expect: lookup


class NullableTeacherAdmin(admin.ModelAdmin):
    """``user`` is a nullable one-to-one: Django's own select_related() skips it."""

    list_display = ["email", "user"]  # expect: nullable


class CallableClassAdmin(admin.ModelAdmin):
    list_display = ["name", "teacher_name"]

    @admin.display(description="teacher")
    def teacher_name(self, school_class: Class) -> str:
        return school_class.teacher.last_name  # expect: callable


class ReverseTeacherAdmin(admin.ModelAdmin):
    list_display = ["email", "class_names"]

    @admin.display(description="classes")
    def class_names(self, teacher: Teacher) -> str:
        return ", ".join(sorted(c.name for c in teacher.classes.all()))  # expect: reverse


class CountTeacherAdmin(admin.ModelAdmin):
    list_display = ["email", "class_count"]

    @admin.display(description="classes")
    def class_count(self, teacher: Teacher) -> int:
        counted = getattr(teacher, "classes__count", None)  # what annotate() adds
        if counted is not None:
            return int(counted)
        return teacher.classes.count()  # expect: count


class SelectInline(admin.TabularInline):
    model = Enrollment
    extra = 0
    fields = ["student", "enrolled_on"]  # expect: inline-select


class RawIdInline(admin.TabularInline):
    model = Enrollment
    extra = 0
    fields = ["student", "enrolled_on"]
    raw_id_fields = ["student"]  # expect: inline-raw-id


class ReadonlyInline(admin.TabularInline):
    model = Enrollment
    extra = 0
    fields = ["student", "enrolled_on"]
    readonly_fields = ["student"]  # expect: inline-readonly


class SelectClassAdmin(admin.ModelAdmin):
    inlines = [SelectInline]


class RawIdClassAdmin(admin.ModelAdmin):
    inlines = [RawIdInline]


class ReadonlyClassAdmin(admin.ModelAdmin):
    inlines = [ReadonlyInline]


def site(name: str, model: type, model_admin: type) -> admin.AdminSite:
    admin_site = admin.AdminSite(name=name)
    admin_site.register(model, model_admin)
    return admin_site


SITES: dict[str, tuple[admin.AdminSite, type, Any]] = {
    "lookup": (site("lookup", Class, LookupClassAdmin), Class, LookupClassAdmin),
    "nullable": (site("nullable", Teacher, NullableTeacherAdmin), Teacher, NullableTeacherAdmin),
    "callable": (site("callable", Class, CallableClassAdmin), Class, CallableClassAdmin),
    "reverse": (site("reverse", Teacher, ReverseTeacherAdmin), Teacher, ReverseTeacherAdmin),
    "count": (site("count", Teacher, CountTeacherAdmin), Teacher, CountTeacherAdmin),
    "inline-select": (site("inline-select", Class, SelectClassAdmin), Class, SelectInline),
    "inline-raw-id": (site("inline-raw-id", Class, RawIdClassAdmin), Class, RawIdInline),
    "inline-readonly": (site("inline-readonly", Class, ReadonlyClassAdmin), Class, ReadonlyInline),
}
urlpatterns = [path(f"{name}/", entry[0].urls) for name, entry in SITES.items()]
