from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = _("Certification and traceability")

    def ready(self):
        from certification import notifications  # noqa: F401  (registers notification kinds)
        from certification.rules import data_erasure_rule, remanufactured_listing_rule
        from listings.rules import register_publish_rule

        register_publish_rule(remanufactured_listing_rule)
        register_publish_rule(data_erasure_rule)
