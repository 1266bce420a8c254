import pytest

from accounts.models import OrganizationKind, Role, VerificationStatus
from tests.factories import OrganizationFactory, member_of
from tests.grading.factories import AgencyFactory


@pytest.fixture
def agency(db):
    return AgencyFactory()


@pytest.fixture
def inspector(agency):
    return member_of(agency, Role.MEMBER)


@pytest.fixture
def unverified_agency(db):
    return AgencyFactory(verification_status=VerificationStatus.PENDING)


@pytest.fixture
def unverified_inspector(unverified_agency):
    return member_of(unverified_agency, Role.OWNER)


@pytest.fixture
def merchant_member(db):
    """A member of another verified organization that is not an inspection agency."""
    return member_of(OrganizationFactory(kind=OrganizationKind.MERCHANT), Role.OWNER)
