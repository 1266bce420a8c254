from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.roles import ROLES, make_moderator, setup_roles


class Command(BaseCommand):
    help = (
        "Create the staff groups (moderators) with their admin permissions; idempotent. "
        "--moderator LOGIN (repeatable) also gives these accounts staff status and the moderators group."
    )

    def add_arguments(self, parser):
        parser.add_argument("--moderator", action="append", default=[], metavar="LOGIN",
                            help="e-mail or mobile number of an account to make a moderator")

    def handle(self, *args, moderator, **options):
        users = []
        for login in moderator:
            try:
                users.append(User.objects.get_by_login(login))
            except User.DoesNotExist:
                raise CommandError(f"No account with the login {login!r}.") from None
        groups = setup_roles()
        for user in users:
            make_moderator(user)
        for name in ROLES:
            self.stdout.write(f"{name}: {groups[name].permissions.count()} permissions, "
                              f"{groups[name].user_set.count()} members")
