"""Only the grading routes, under /api/v1/, for the schema test."""
from django.urls import include, path

urlpatterns = [path("api/v1/", include("grading.urls"))]
