"""Users, organizations, memberships, invitations and the organization verification audit."""
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.validators import normalize_credit_code, normalize_phone, validate_credit_code, validate_phone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, phone, password, **extra):
        email = self.normalize_email(email).lower() if email else None
        phone = normalize_phone(phone) if phone else None
        if not email and not phone:
            raise ValueError("A user needs an e-mail address or a phone number.")
        user = self.model(email=email, phone=phone, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, *, phone=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, phone, password, **extra)

    def create_superuser(self, email=None, password=None, *, phone=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, phone, password, **extra)

    @staticmethod
    def normalize_login(login: str) -> str:
        """One spelling per account: e-mail addresses in lower case, phone numbers as +86..."""
        login = (login or "").strip()
        return login.lower() if "@" in login else normalize_phone(login)

    def get_by_login(self, login: str):
        """The user whose e-mail or phone is `login` (raises DoesNotExist)."""
        login = self.normalize_login(login)
        if "@" in login:
            return self.get(email__iexact=login)
        return self.get(phone=login)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: logs in with an e-mail address or a mainland mobile number."""

    email = models.EmailField(_("e-mail"), unique=True, null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=16, unique=True, null=True, blank=True, validators=[validate_phone])
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    city = models.CharField(_("city"), max_length=40, blank=True)
    district = models.CharField(_("district"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(email__isnull=False) | Q(phone__isnull=False), name="user_has_email_or_phone"
            ),
        ]

    def __str__(self):
        return self.display_name or self.email or self.phone or f"user {self.pk}"

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower() if self.email else None
        self.phone = normalize_phone(self.phone) if self.phone else None

    @property
    def public_name(self):
        """What other users see: the display name, never the login."""
        return self.display_name or _("User %(id)s") % {"id": self.pk}


class OrganizationKind(models.TextChoices):
    REMANUFACTURER = "remanufacturer", _("Remanufacturer")
    SCHOOL = "school", _("School")
    COMMUNITY = "community", _("Community")
    MERCHANT = "merchant", _("Merchant")
    INSPECTION_AGENCY = "inspection_agency", _("Inspection agency")
    CERTIFICATION_BODY = "certification_body", _("Certification body")


class VerificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending verification")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class Organization(models.Model):
    """A legal entity acting in one role; it may act in that role only once staff verified it."""

    kind = models.CharField(_("kind"), max_length=32, choices=OrganizationKind.choices)
    name = models.CharField(_("name"), max_length=120)
    legal_name = models.CharField(_("legal name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    address = models.CharField(_("address"), max_length=255)
    city = models.CharField(_("city"), max_length=40, blank=True)
    district = models.CharField(_("district"), max_length=40, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=60)
    contact_phone = models.CharField(_("contact phone"), max_length=32)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    description = models.TextField(_("description"), blank=True)
    verification_status = models.CharField(
        _("verification status"), max_length=16, choices=VerificationStatus.choices, default=VerificationStatus.PENDING
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["kind", "verification_status"])]
        # Deciding verification in the admin (the moderators group has it; see accounts.roles).
        permissions = [("verify_organization", _("Can verify or reject organizations"))]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.credit_code = normalize_credit_code(self.credit_code)
        super().save(*args, **kwargs)

    @property
    def is_verified(self):
        return self.verification_status == VerificationStatus.VERIFIED


class OrganizationVerificationEvent(models.Model):
    """Audit record of every verification status change: who, when, from, to, why."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="verification_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    from_status = models.CharField(max_length=16, choices=VerificationStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=VerificationStatus.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organization verification event")
        verbose_name_plural = _("organization verification events")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.organization_id}: {self.from_status or '-'} -> {self.to_status}"


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    ADMIN = "admin", _("Admin")
    OWNER = "owner", _("Owner")


ROLE_RANK = {Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class CampusRole(models.TextChoices):
    NONE = "", _("Not set")
    STUDENT = "student", _("Student")
    TEACHER = "teacher", _("Teacher")


class Membership(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    # Only meaningful for schools: whether the member is a student or a teacher of that campus.
    campus_role = models.CharField(_("campus role"), max_length=16, choices=CampusRole.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="unique_membership")]

    def __str__(self):
        return f"{self.user} @ {self.organization} ({self.role})"

    @property
    def rank(self):
        return ROLE_RANK[self.role]


def hash_invitation_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def open(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An invitation to join an organization, addressed to an e-mail or a phone number.

    Only the SHA-256 of the token is stored; the token itself is sent to the invitee once.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=16, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    campus_role = models.CharField(max_length=16, choices=CampusRole.choices, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(email="") | ~Q(phone=""), name="invitation_has_email_or_phone"),
        ]

    def __str__(self):
        return f"{self.email or self.phone} -> {self.organization_id} ({self.role})"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @property
    def status(self):
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"


def hash_registration_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Registration(models.Model):
    """A request to open an account with an e-mail address, waiting for its confirmation.

    The account is made only when the link mailed to the address is used, with the password
    given here (stored hashed), so registering says nothing about whether an address already
    has an account. Every request is kept until it expires, also one for an address that turned
    out to have an account (its mail then says so and holds no link). Only the SHA-256 of the
    confirmation token is stored.
    """

    email = models.EmailField(_("e-mail"))
    password = models.CharField(_("password"), max_length=128)
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    city = models.CharField(_("city"), max_length=40, blank=True)
    district = models.CharField(_("district"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("account"),
    )

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["email"]), models.Index(fields=["expires_at"])]

    def __str__(self):
        return f"{self.email} ({self.status})"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @property
    def status(self):
        if self.confirmed_at:
            return "confirmed"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"
