from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GradingConfig(AppConfig):
    name = "grading"
    verbose_name = _("Grading")

    def ready(self):
        from grading import notifications  # noqa: F401  (registers the notification kinds)
        from grading.selectors import publish_blockers
        from listings import eligibility

        # The rule lives beside the assessments it reads; listings.eligibility owns the source.
        eligibility.register("grade_sellable", source=eligibility.GRADING, check=publish_blockers,
                             codes=("grade_unsellable",))
