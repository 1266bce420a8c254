"""Pages served at the site root, the targets of the links in account mails:

    path("", include("accounts.urls_public"))  ->  /reset-password, /confirm-registration
"""
from django.urls import path

from accounts.pages import confirm_registration_page, reset_password_page

urlpatterns = [
    path("reset-password", reset_password_page, name="accounts-reset-password-page"),
    path("confirm-registration", confirm_registration_page, name="accounts-confirm-registration-page"),
]
