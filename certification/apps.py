from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = _("Certification and traceability")

    def ready(self):
        from certification import (
            notifications,  # noqa: F401  (registers notification kinds)
            rules,
        )
        from listings import eligibility

        # The rules live beside the data they read; listings.eligibility owns the sources.
        eligibility.register("remanufactured_certificate", source=eligibility.CERTIFICATE,
                             check=rules.remanufactured_certificate_rule, codes=rules.CERTIFICATE_CODES)
        eligibility.register("traced_units", source=eligibility.COMPLIANCE, check=rules.traced_units_rule,
                             codes=rules.TRACED_UNITS_CODES)
        eligibility.register("data_erasure", source=eligibility.COMPLIANCE, check=rules.data_erasure_rule,
                             codes=rules.DATA_ERASURE_CODES)
