from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Events and book swaps")

    def ready(self):
        from events import notifications  # noqa: F401  (registers notification kinds)
