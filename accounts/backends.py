from django.contrib.auth.backends import ModelBackend

from accounts.models import User


class EmailOrPhoneBackend(ModelBackend):
    """Authenticate with an e-mail address or a mainland mobile number as the login."""

    def authenticate(self, request, username=None, password=None, login=None, **kwargs):
        login = login or username or kwargs.get(User.USERNAME_FIELD)
        if not login or password is None:
            return None
        try:
            user = User.objects.get_by_login(login)
        except User.DoesNotExist:
            User().set_password(password)  # same work as a real check: no timing oracle for logins
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
