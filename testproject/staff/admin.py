from django.contrib import admin

from testproject.staff.models import Department, Employee, Schedule, Shift


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "is_active"]
    list_select_related = ["parent"]


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ["first_name", "last_name", "department", "role", "is_active"]
    list_select_related = ["department"]


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["department", "start_date", "end_date", "status", "published"]
    list_select_related = ["department"]


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["employee", "schedule", "date", "start", "end"]
    list_select_related = ["employee", "schedule"]
    raw_id_fields = ["employee", "schedule"]
