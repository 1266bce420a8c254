from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import (
    Invitation,
    Membership,
    Organization,
    OrganizationVerificationEvent,
    Registration,
    User,
)
from marketplace.errors import DomainError


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["id", "email", "phone", "display_name", "city", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "phone", "display_name"]
    list_filter = ["is_staff", "is_active", "language"]
    fieldsets = (
        (None, {"fields": ("email", "phone", "password")}),
        (_("Profile"), {"fields": ("display_name", "city", "district", "language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "phone", "password1", "password2")}),)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


class VerificationEventInline(admin.TabularInline):
    model = OrganizationVerificationEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "reason", "actor", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "kind", "credit_code", "city", "verification_status", "verified_at"]
    list_filter = ["kind", "verification_status"]
    search_fields = ["name", "legal_name", "credit_code"]
    readonly_fields = ["verification_status", "verified_at", "rejection_reason", "created_at", "updated_at"]
    inlines = [MembershipInline, VerificationEventInline]
    actions = ["verify_selected"]

    def has_verify_permission(self, request):
        return request.user.has_perm("accounts.verify_organization")

    @admin.action(description=_("Verify the selected organizations"), permissions=["verify"])
    def verify_selected(self, request, queryset):
        done = 0
        for org in queryset:
            try:
                services.verify_organization(org, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{org}: {exc.message}", messages.WARNING)
        self.message_user(request, _("%(count)d organizations verified.") % {"count": done})


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["id", "organization", "email", "phone", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    raw_id_fields = ["organization", "invited_by", "accepted_by"]
    exclude = ["token_hash"]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    """Read-only: registrations are made and confirmed by the people registering."""

    list_display = ["id", "email", "status", "language", "created_at", "expires_at", "confirmed_at", "user"]
    search_fields = ["email"]
    fields = ["email", "display_name", "city", "district", "language", "created_at", "expires_at", "confirmed_at", "user"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
