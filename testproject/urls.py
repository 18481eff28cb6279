from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from testproject.journal import views as journal
from testproject.school import pages
from testproject.school import views as school
from testproject.staff import views as staff

naive = DefaultRouter()
naive.register("classes", school.NaiveClassViewSet, basename="naive-class")
naive.register("attendance", school.NaiveAttendanceViewSet, basename="naive-attendance")
naive.register("schedules", staff.NaiveScheduleViewSet, basename="naive-schedule")
naive.register("employees", staff.NaiveEmployeeViewSet, basename="naive-employee")
naive.register("journal", journal.NaiveJournalEntryViewSet, basename="naive-journal")

tuned = DefaultRouter()
tuned.register("classes", school.TunedClassViewSet, basename="tuned-class")
tuned.register("attendance", school.TunedAttendanceViewSet, basename="tuned-attendance")
tuned.register("schedules", staff.TunedScheduleViewSet, basename="tuned-schedule")
tuned.register("employees", staff.TunedEmployeeViewSet, basename="tuned-employee")
tuned.register("journal", journal.TunedJournalEntryViewSet, basename="tuned-journal")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/naive/", include(naive.urls)),
    path("api/tuned/", include(tuned.urls)),
    path("naive/classes/", pages.NaiveClassListView.as_view(), name="naive-class-list"),
    path("tuned/classes/", pages.TunedClassListView.as_view(), name="tuned-class-list"),
]

if "debug_toolbar" in settings.INSTALLED_APPS:  # PERFKIT_TOOLBAR=1 (docs/browser.md)
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()
