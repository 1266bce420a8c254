"""Admin of the listings app. Edits of listings and categories go through listings.services, so
they are validated, kept in the history and reach search like edits made through the API."""
from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from listings import services
from listings.models import (
    Category,
    Favourite,
    Listing,
    ListingChange,
    ListingPhoto,
    ListingReport,
    ListingTransition,
)
from marketplace.errors import DomainError


class SavedByServiceForm(forms.ModelForm):
    """A change form whose changes are saved by a service function once the form is valid.

    The service's refusals (its rules: attribute schema, prices, states, the category tree)
    become the form's errors, shown beside the field they name. The admin's own save is then a
    no-op (see ServiceSavedAdmin); the admin still logs the change.
    """

    actor = None  # the signed-in staff user: set per request by ServiceSavedAdmin.get_form

    def save_through_service(self, changes):
        raise NotImplementedError

    def _post_clean(self):
        super()._post_clean()
        if self.errors or self.instance.pk is None:
            return
        changes = {name: self.cleaned_data[name] for name in self.changed_data if name in self.cleaned_data}
        if not changes:
            return
        try:
            self.save_through_service(changes)
        except DomainError as refusal:
            # "attributes.isbn" names a key inside the attributes field: show it there, with the key.
            field, _dot, key = (refusal.field or "").partition(".")
            message = f"{key}: {refusal.message}" if key else refusal.message
            self.add_error(field if field in self.fields else None, message)


class ServiceSavedAdmin(admin.ModelAdmin):
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # modelform_factory made this class for this request
        return form

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
        # A change was saved by the service when the form validated.


class CategoryAdminForm(SavedByServiceForm):
    class Meta:
        model = Category
        fields = sorted(services.CATEGORY_FIELDS)

    def save_through_service(self, changes):
        services.update_category(self.instance, actor=self.actor, **changes)


@admin.register(Category)
class CategoryAdmin(ServiceSavedAdmin):
    """A rename or a move (new parent) re-indexes the active listings below the category, in a task."""

    form = CategoryAdminForm
    fields = ["parent", "slug", "name_zh", "name_en", "grading_standard_code", "attribute_schema",
              "requires_data_erasure", "position", "is_active"]
    list_display = ["slug", "name_zh", "name_en", "parent", "grading_standard_code", "requires_data_erasure", "position", "is_active"]
    list_filter = ["grading_standard_code", "requires_data_erasure", "is_active"]
    list_select_related = ["parent"]
    search_fields = ["slug", "name_zh", "name_en"]
    ordering = ["position", "id"]


class TransitionInline(admin.TabularInline):
    model = ListingTransition
    extra = 0
    can_delete = False
    fields = ["created_at", "from_state", "to_state", "source", "actor", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ChangeInline(admin.TabularInline):
    model = ListingChange
    extra = 0
    can_delete = False
    fields = ["created_at", "field", "old_value", "new_value", "actor"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PhotoInline(admin.TabularInline):
    model = ListingPhoto
    extra = 0
    can_delete = False
    fields = ["preview", "position", "ready", "width", "height", "phash", "duplicate_of"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("preview"))
    def preview(self, photo):
        return format_html('<img src="{}" style="max-height:80px">', photo.thumbnail.url) if photo.thumbnail else "-"


class ListingAdminForm(SavedByServiceForm):
    class Meta:
        model = Listing
        fields = [
            "title", "description", "category", "kind", "price", "deal", "swap_wanted", "negotiable", "quantity",
            "handover_options", "city", "district", "latitude", "longitude", "attributes",
        ]

    def save_through_service(self, changes):
        services.update_listing(self.instance, actor=self.actor, by_staff=True, **changes)


@admin.register(Listing)
class ListingAdmin(ServiceSavedAdmin):
    """Staff correct a listing here through listings.services.update_listing (same rules as the
    seller's edits; every change kept in its history with the staff member as the actor). Who sells
    it and its state are read-only: states change through the API (listings.lifecycle). Listings are
    neither added nor deleted here: sellers create them, and a published one is withdrawn or
    suspended, never deleted."""

    form = ListingAdminForm
    list_display = ["id", "title", "state", "kind", "price", "category", "seller", "organization", "grade_code", "published_at"]
    list_filter = ["state", "kind", "deal", "category", "grade_mismatch"]
    list_select_related = ["category", "seller", "organization"]
    search_fields = ["title", "description", "seller__email", "seller__display_name"]
    readonly_fields = [
        "seller", "organization", "state", "state_changed_at", "published_at", "expires_at", "suspended_from_state",
        "suspension_sources", "suspension_reason", "grade_code", "grade_source", "grade_mismatch", "view_count",
        "created_at", "updated_at",
    ]
    inlines = [PhotoInline, TransitionInline, ChangeInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ListingReport)
class ListingReportAdmin(admin.ModelAdmin):
    list_display = ["id", "listing", "reason", "status", "reporter", "created_at", "handled_by", "handled_at"]
    list_filter = ["status", "reason"]
    list_select_related = ["listing", "reporter", "handled_by"]
    raw_id_fields = ["listing", "reporter", "handled_by"]
    readonly_fields = ["status", "handled_by", "handled_at", "resolution", "created_at"]


@admin.register(Favourite)
class FavouriteAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "listing", "created_at"]
    raw_id_fields = ["user", "listing"]
