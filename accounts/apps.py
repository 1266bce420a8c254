from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organizations")

    def ready(self):
        from accounts import notifications  # noqa: F401  (registers notification kinds)

        # OpenAPI enum names: "kind", "role" and the statuses also name other apps' choice sets.
        overrides = settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})
        overrides.setdefault("OrganizationKindEnum", "accounts.models.OrganizationKind")
        overrides.setdefault("VerificationStatusEnum", "accounts.models.VerificationStatus")
        overrides.setdefault("OrganizationRoleEnum", "accounts.models.Role")
        overrides.setdefault("CampusRoleEnum", "accounts.models.CampusRole")
        overrides.setdefault("LanguageEnum", settings.LANGUAGES)
