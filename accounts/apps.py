from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organizations")

    def ready(self):
        from accounts import notifications  # noqa: F401  (registers notification kinds and mails)

        # The throttle counters may live in the database cache (production's default): `migrate`
        # makes its table, so a deployment cannot forget it.
        post_migrate.connect(create_cache_tables, sender=self)


def create_cache_tables(using="default", verbosity=1, **kwargs):
    """`createcachetable` for the database caches in settings.CACHES (existing tables are left alone)."""
    from django.conf import settings
    from django.core.management import call_command

    if any(cache["BACKEND"].endswith("DatabaseCache") for cache in settings.CACHES.values()):
        call_command("createcachetable", database=using, verbosity=max(verbosity - 1, 0))

