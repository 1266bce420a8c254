from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = _("Certification and traceability")

    def ready(self):
        from certification import notifications  # noqa: F401  (registers notification kinds)
        from certification.rules import data_erasure_rule, remanufactured_certificate_rule, traced_units_rule
        from listings.models import SuspensionSource
        from listings.rules import register_publish_rule

        # The certificate itself is kept in force by the certificate cascade (source "certificate");
        # the product's own records (tested units, data erasure) by enforce_rules (source "compliance").
        register_publish_rule(remanufactured_certificate_rule)
        register_publish_rule(traced_units_rule, enforced_by=SuspensionSource.COMPLIANCE)
        register_publish_rule(data_erasure_rule, enforced_by=SuspensionSource.COMPLIANCE)
