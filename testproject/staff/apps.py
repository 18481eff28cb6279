from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "testproject.staff"
    default_auto_field = "django.db.models.BigAutoField"
