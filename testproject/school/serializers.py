from __future__ import annotations

from rest_framework import serializers

from testproject.school.models import Attendance, Class, ClassSession, Student, Teacher


class TeacherSerializer(serializers.ModelSerializer):
    class Meta:
        model = Teacher
        fields = ["id", "first_name", "last_name", "email"]


class StudentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Student
        fields = ["id", "first_name", "last_name", "email", "grade"]


class ClassSerializer(serializers.ModelSerializer):
    teacher = TeacherSerializer()
    students = StudentSerializer(many=True)

    class Meta:
        model = Class
        fields = ["id", "name", "room", "teacher", "students"]


class ClassSessionSerializer(serializers.ModelSerializer):
    class_name = serializers.CharField(source="school_class.name")
    teacher_name = serializers.CharField(source="teacher.__str__")

    class Meta:
        model = ClassSession
        fields = ["id", "class_name", "teacher_name", "start_time", "status"]


class AttendanceSerializer(serializers.ModelSerializer):
    student = StudentSerializer()
    class_session = ClassSessionSerializer()

    class Meta:
        model = Attendance
        fields = [
            "id",
            "student",
            "class_session",
            "check_in_time",
            "check_out_time",
            "status",
            "version",
            "created_at",
        ]
