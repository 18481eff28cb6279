from django.urls import path

from tests.capture.library_views import view_router

urlpatterns = [path("router/<str:kind>/", view_router)]
