from django.contrib import admin

from search.models import PendingIndexUpdate


@admin.register(PendingIndexUpdate)
class PendingIndexUpdateAdmin(admin.ModelAdmin):
    """Failed index updates waiting for search.tasks.drain_pending_updates: read-only, for operators."""

    list_display = ("listing_id", "queued_at", "attempts", "last_attempt_at", "last_error")
    ordering = ("queued_at",)
    search_fields = ("listing_id",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
