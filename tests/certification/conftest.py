import pytest

from accounts.models import OrganizationKind, Role
from tests.certification.factories import CertificationBodyFactory, RemanufacturerFactory, issue, make_unit
from tests.factories import OrganizationFactory, member_of
from tests.listings.factories import ListingFactory


@pytest.fixture
def body(db):
    return CertificationBodyFactory()


@pytest.fixture
def body_admin(body):
    return member_of(body, Role.ADMIN)


@pytest.fixture
def body_member(body):
    return member_of(body, Role.MEMBER)


@pytest.fixture
def reman(db):
    return RemanufacturerFactory()


@pytest.fixture
def reman_admin(reman):
    return member_of(reman, Role.ADMIN)


@pytest.fixture
def reman_member(reman):
    return member_of(reman, Role.MEMBER)


@pytest.fixture
def merchant(db):
    return OrganizationFactory(kind=OrganizationKind.MERCHANT)


@pytest.fixture
def merchant_admin(merchant):
    return member_of(merchant, Role.ADMIN)


@pytest.fixture
def outsider(db):
    """A member of an unrelated verified organization."""
    return member_of(OrganizationFactory(kind=OrganizationKind.REMANUFACTURER), Role.ADMIN)


@pytest.fixture
def certificate(body_admin, body, reman):
    return issue(body_admin, body, reman)


@pytest.fixture
def unit(reman_member, reman, certificate):
    return make_unit(reman_member, reman, certificate=certificate)


@pytest.fixture
def reman_listing(reman, reman_admin):
    return ListingFactory(remanufactured=True, seller=reman_admin, organization=reman)

