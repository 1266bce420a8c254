"""Admin: orders, payments and claims are read here; changes go through the API and its services
(rules, audit, Stripe). Staff may retry a Stripe event that failed."""
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from marketplace.admin import ReadOnlyAdmin, ReadOnlyInline
from orders import webhooks
from orders.models import (
    Claim,
    ClaimPhoto,
    ClaimTransition,
    ConnectAccount,
    Dispute,
    Order,
    OrderTransition,
    RecordReview,
    Refund,
    Review,
    WebhookEvent,
    WebhookStatus,
)


class OrderTransitionInline(ReadOnlyInline):
    model = OrderTransition
    fields = ["from_state", "to_state", "actor", "actor_role", "reason", "created_at"]
    readonly_fields = fields


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["amount", "status", "reason", "requested_role", "reference", "reversal_amount", "reversal_reference",
              "created_at", "settled_at"]
    readonly_fields = fields


class DisputeInline(ReadOnlyInline):
    model = Dispute
    fields = ["reference", "amount", "reason", "status", "created_at", "closed_at"]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["id", "title", "state", "payment_method", "total", "buyer", "seller", "organization", "frozen",
                    "created_at"]
    list_filter = ["state", "payment_method", "frozen"]
    search_fields = ["id", "title", "payment_reference", "charge_reference", "buyer__email", "seller__email"]
    exclude = ["handover_code"]
    list_select_related = ["buyer", "seller", "organization"]
    inlines = [OrderTransitionInline, RefundInline, DisputeInline]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "status", "attempts", "received_at", "processed_at", "next_attempt_at"]
    list_filter = ["status", "type"]
    search_fields = ["event_id", "type"]
    actions = ["retry_now"]

    @admin.action(description=_("Process the selected failed events now"))
    def retry_now(self, request, queryset):
        results = [webhooks.process(pk) for pk in queryset.filter(status=WebhookStatus.FAILED).values_list("pk", flat=True)]
        self.message_user(request, _("%(count)d event(s) processed again: %(results)s")
                          % {"count": len(results), "results": ", ".join(results) or "-"}, messages.INFO)


@admin.register(ConnectAccount)
class ConnectAccountAdmin(ReadOnlyAdmin):
    list_display = ["organization", "account_id", "transfers_active", "payouts_enabled", "details_submitted",
                    "status_as_of"]
    search_fields = ["account_id", "organization__name"]


class ClaimPhotoInline(ReadOnlyInline):
    model = ClaimPhoto
    fields = ["image", "width", "height", "uploaded_by", "created_at"]
    readonly_fields = fields


class ClaimTransitionInline(ReadOnlyInline):
    model = ClaimTransition
    fields = ["from_state", "to_state", "actor", "actor_role", "reason", "created_at"]
    readonly_fields = fields


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ["id", "order", "state", "buyer", "decided_for", "refund_amount", "created_at"]
    list_filter = ["state"]
    inlines = [ClaimPhotoInline, ClaimTransitionInline]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["order", "rating", "seller", "organization", "created_at"]
    list_filter = ["rating"]


@admin.register(RecordReview)
class RecordReviewAdmin(ReadOnlyAdmin):
    list_display = ["seller", "organization", "upheld_claims", "decided_by", "created_at"]
