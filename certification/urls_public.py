"""Routes served at the site root (the lead includes this module in marketplace/urls.py):

    path("", include("certification.urls_public"))  ->  /verify/<code>
"""
from django.urls import path

from certification.pages import verify_page

urlpatterns = [
    path("verify/<str:code>", verify_page, name="certification-verify-page"),
]
