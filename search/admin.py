from django.contrib import admin

from search.models import PendingIndexUpdate


@admin.register(PendingIndexUpdate)
class PendingIndexUpdateAdmin(admin.ModelAdmin):
    """Index updates not yet applied: being applied (`claimed_at`) or failed and waiting for
    search.tasks.drain_pending_updates (`manage.py search_drain`). Read-only, for operators."""

    list_display = ("listing_id", "queued_at", "attempts", "last_attempt_at", "claimed_at", "last_error")
    ordering = ("queued_at",)
    search_fields = ("listing_id",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
