"""Arrange helpers for the orders tests: listings on sale, connected organizations, orders."""
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import OrganizationKind, Role
from listings.models import Listing, ListingState
from orders import services
from orders.models import ConnectAccount
from tests.factories import OrganizationFactory, UserFactory, member_of
from tests.listings.factories import ListingFactory


def on_sale(*, seller=None, organization=None, price="350.00", quantity=1, **fields) -> Listing:
    """A listing already online (publishing itself is tested by listings)."""
    if seller is None:
        seller = member_of(organization, Role.ADMIN) if organization is not None else UserFactory()
    now = timezone.now()
    return ListingFactory(
        seller=seller, organization=organization, price=Decimal(price), quantity=quantity, state=ListingState.ACTIVE,
        published_at=now, expires_at=now + timedelta(days=60), grade_code="A", **fields,
    )


def shop(**fields):
    """A verified merchant."""
    return OrganizationFactory(kind=OrganizationKind.MERCHANT, **fields)


def inspection_agency(**fields):
    return OrganizationFactory(kind=OrganizationKind.INSPECTION_AGENCY, **fields)


def connected(organization, *, account_id=None, transfers_active=True) -> ConnectAccount:
    """The organization finished Stripe onboarding: it can receive transfers."""
    return ConnectAccount.objects.create(
        organization=organization, account_id=account_id or f"acct_test{organization.pk}",
        details_submitted=transfers_active, payouts_enabled=transfers_active, transfers_active=transfers_active,
    )


def order_for(listing, buyer=None, *, quantity=1, method=None):
    return services.checkout(buyer=buyer or UserFactory(), listing=listing, quantity=quantity, payment_method=method)


def handed_over(buyer, *, price="500.00"):
    """An order of a listing on sale whose item the seller has handed over to `buyer`."""
    listing = on_sale(price=price)
    placed = order_for(listing, buyer)
    return services.hand_over(placed, actor=listing.seller, code=placed.handover_code)
