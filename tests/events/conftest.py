import pytest

from accounts.models import Role
from tests.events.factories import CommunityFactory, SchoolFactory, member
from tests.factories import UserFactory


@pytest.fixture
def community(db):
    return CommunityFactory()


@pytest.fixture
def organizer(community):
    """An administrator of the organizing community."""
    return member(community, Role.ADMIN)


@pytest.fixture
def crew(community):
    """A plain member of the organizing community (scans passes)."""
    return member(community, Role.MEMBER)


@pytest.fixture
def resident(db):
    return UserFactory()


@pytest.fixture
def other_org_admin(db):
    """An administrator of another verified organizer."""
    return member(CommunityFactory(), Role.ADMIN)


@pytest.fixture
def school(db):
    return SchoolFactory()


@pytest.fixture
def school_admin(school):
    return member(school, Role.ADMIN)

