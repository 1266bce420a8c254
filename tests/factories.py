"""Factories for the accounts app, shared by every test package (apps add their own beside their tests)."""
import factory
from factory.django import DjangoModelFactory

from accounts.models import Membership, Organization, OrganizationKind, Role, User, VerificationStatus
from accounts.validators import credit_code_check_character

PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    city = "广州市"
    district = "天河区"
    language = "en"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class StaffFactory(UserFactory):
    is_staff = True


def credit_code(n: int, prefix: str = "91440101MA") -> str:
    body = f"{prefix}{n:07d}"[:17]
    return body + credit_code_check_character(body)


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    kind = OrganizationKind.MERCHANT
    name = factory.Sequence(lambda n: f"机构{n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.name}有限公司")
    credit_code = factory.Sequence(credit_code)
    address = "广州市天河区体育西路1号"
    city = "广州市"
    contact_name = "联系人"
    contact_phone = "020-12345678"
    verification_status = VerificationStatus.VERIFIED


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


def member_of(org, role=Role.MEMBER, **user_fields) -> User:
    """A new user holding `role` in `org`."""
    user = UserFactory(**user_fields)
    MembershipFactory(organization=org, user=user, role=role)
    return user
