from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GradingConfig(AppConfig):
    name = "grading"
    verbose_name = _("Grading")

    def ready(self):
        from grading import notifications  # noqa: F401  (registers the notification kinds)
        from grading.selectors import publish_blockers
        from listings.models import SuspensionSource
        from listings.rules import register_publish_rule

        # Also while on sale: an assessment with blockers suspends the listing (source "grading").
        register_publish_rule(publish_blockers, enforced_by=SuspensionSource.GRADING)

