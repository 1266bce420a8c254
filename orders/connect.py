"""Stripe Connect Express onboarding of selling organizations, and their payout status.

An organization admin starts onboarding: the organization gets one Express account (created once,
under an idempotency key of the organization) and a fresh account link to Stripe's hosted
onboarding. `account.updated` events keep the status; once transfers are active, the
organization's completed orders waiting for their payout are released.
"""
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import require_org_role
from accounts.services import notify_org_admins
from listings.permissions import SELLING_ORG_KINDS
from marketplace.errors import NotAllowed
from marketplace.tasks import send_on_commit
from orders.models import ConnectAccount


def _status_url(organization) -> str:
    return f"{settings.PUBLIC_BASE_URL}/api/v1/organizations/{organization.pk}/payouts"


def _apply(account: ConnectAccount, obj: dict) -> None:
    requirements = obj.get("requirements") or {}
    account.details_submitted = bool(obj.get("details_submitted"))
    account.charges_enabled = bool(obj.get("charges_enabled"))
    account.payouts_enabled = bool(obj.get("payouts_enabled"))
    account.transfers_active = (obj.get("capabilities") or {}).get("transfers") == "active"
    account.requirements_due = list(requirements.get("currently_due") or [])
    account.disabled_reason = requirements.get("disabled_reason") or ""


def start_onboarding(organization, *, actor) -> dict:
    """An admin of a verified selling organization gets a link to Stripe's onboarding."""
    require_org_role(actor, organization, Role.ADMIN)
    if organization.kind not in SELLING_ORG_KINDS:
        raise NotAllowed(_("%(org)s is not an organization that sells goods.") % {"org": organization.name})
    if not organization.is_verified:
        raise NotAllowed(_("%(org)s must be verified by the platform before it can sell.") % {"org": organization.name},
                         code="organization_not_verified")
    from orders.gateways.stripe import StripeGateway

    stripe_gateway = StripeGateway()
    account = ConnectAccount.objects.filter(organization=organization).first()
    if account is None:
        created = stripe_gateway.create_account(organization)
        with transaction.atomic():
            account, made = ConnectAccount.objects.select_for_update().get_or_create(
                organization=organization, defaults={"account_id": created.id, "created_by": actor},
            )
            if made:
                _apply(account, created.to_dict())
                account.save()
    url, expires_at = stripe_gateway.account_link(
        account.account_id, refresh_url=f"{_status_url(organization)}?onboarding=refresh",
        return_url=f"{_status_url(organization)}?onboarding=return",
    )
    return {"account": account, "url": url, "expires_at": expires_at}


def account_updated(obj: dict, *, created: int) -> str:
    """Apply an `account.updated` event, unless a newer one was applied already; returns a note."""
    from orders import services

    as_of = datetime.fromtimestamp(created, tz=UTC)
    with transaction.atomic():
        account = ConnectAccount.objects.select_for_update().select_related("organization").filter(
            account_id=obj.get("id")).first()
        if account is None:
            return "not one of our connected accounts"
        if account.status_as_of is not None and as_of < account.status_as_of:
            return "older than the status we have"
        could_receive = account.transfers_active
        _apply(account, obj)
        account.status_as_of = as_of
        account.save()
        if account.transfers_active and not could_receive:
            notify_org_admins(account.organization, "payouts_enabled", {"organization": account.organization.name})
            for order_id in services.orders_waiting_for_payout(account.organization_id):
                send_on_commit(services._tasks().release_payout, order_id)
        return "status updated"
