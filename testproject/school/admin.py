from django.contrib import admin

from testproject.school.models import Attendance, Class, ClassSession, Enrollment, Student, Teacher


@admin.register(Teacher)
class TeacherAdmin(admin.ModelAdmin):
    list_display = ["first_name", "last_name", "email"]
    search_fields = ["last_name", "email"]


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = ["first_name", "last_name", "email", "grade"]
    search_fields = ["last_name", "email"]


@admin.register(Class)
class ClassAdmin(admin.ModelAdmin):
    list_display = ["name", "teacher", "room"]
    list_select_related = ["teacher"]


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    """Demo material: the teacher column follows a relation list_select_related does not
    join, and each row counts its class's enrollments with a query of its own."""

    list_display = [
        "student",
        "school_class",
        "school_class__teacher__last_name",
        "class_size",
        "enrolled_on",
    ]
    list_select_related = ["student", "school_class"]
    raw_id_fields = ["student", "school_class"]

    @admin.display(description="class size")
    def class_size(self, enrollment: Enrollment) -> int:
        return enrollment.school_class.enrollments.count()


@admin.register(ClassSession)
class ClassSessionAdmin(admin.ModelAdmin):
    list_display = ["school_class", "teacher", "start_time", "status"]
    list_select_related = ["school_class", "teacher"]
    raw_id_fields = ["school_class", "teacher"]


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["student", "class_session", "status", "check_in_time", "created_at"]
    list_select_related = ["student", "class_session"]
    raw_id_fields = ["student", "class_session"]
    show_full_result_count = False
