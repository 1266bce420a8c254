from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from listings.models import (
    Category,
    Favourite,
    Listing,
    ListingChange,
    ListingPhoto,
    ListingReport,
    ListingTransition,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
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
    fields = ["preview", "position", "width", "height", "phash", "duplicate_of"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("preview"))
    def preview(self, photo):
        return format_html('<img src="{}" style="max-height:80px">', photo.thumbnail.url) if photo.thumbnail else "-"


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    """State changes go through the API (listings.lifecycle), so the state fields are read-only here."""

    list_display = ["id", "title", "state", "kind", "price", "category", "seller", "organization", "grade_code", "published_at"]
    list_filter = ["state", "kind", "category", "grade_mismatch"]
    list_select_related = ["category", "seller", "organization"]
    search_fields = ["title", "description", "seller__email", "seller__display_name"]
    raw_id_fields = ["seller", "organization"]
    readonly_fields = [
        "state", "state_changed_at", "published_at", "expires_at", "suspended_from_state", "suspension_sources",
        "suspension_reason", "grade_code", "grade_source", "grade_mismatch", "view_count", "created_at", "updated_at",
    ]
    inlines = [PhotoInline, TransitionInline, ChangeInline]


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
