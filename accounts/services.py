"""Domain actions on users and organizations: each runs in one transaction and leaves an audit trail."""
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlencode, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from knox.models import AuthToken
from knox.settings import knox_settings

from accounts.models import (
    ROLE_RANK,
    Invitation,
    Membership,
    Organization,
    OrganizationKind,
    OrganizationVerificationEvent,
    Registration,
    Role,
    User,
    VerificationStatus,
    hash_invitation_token,
    hash_registration_token,
)
from accounts.permissions import require_org_role
from accounts.throttling import AccountMailBudget
from accounts.validators import normalize_phone
from marketplace.errors import Conflict, DomainError, NotAllowed
from marketplace.transitions import StateMachine, lock
from notifications.mail import send_after_commit as send_mail_after_commit
from notifications.services import notify

INVITATION_TTL = timedelta(days=14)
REGISTRATION_TTL = timedelta(days=2)

# What a user may change of their own profile (PATCH /me).
PROFILE_FIELDS = ("display_name", "city", "district", "language")

# Fields whose change makes a verified organization a different legal entity: re-verify.
IDENTITY_FIELDS = ("legal_name", "credit_code")

VERIFICATION_TRANSITIONS = {
    VerificationStatus.PENDING: {VerificationStatus.VERIFIED, VerificationStatus.REJECTED},
    VerificationStatus.REJECTED: {VerificationStatus.PENDING},
    VerificationStatus.VERIFIED: {VerificationStatus.PENDING},
}
VERIFICATION = StateMachine(
    field="verification_status", choices=VerificationStatus, moves=VERIFICATION_TRANSITIONS,
    refusal=gettext_lazy("An organization that is %(current)s cannot become %(target)s."),
)


INVITATION_STATUS_LABELS = {
    "accepted": gettext_lazy("already accepted"),
    "revoked": gettext_lazy("revoked"),
    "expired": gettext_lazy("expired"),
}


def _public_url(path: str, **params) -> str:
    """A link for mails and labels: PUBLIC_BASE_URL (which `make run` sets to its port) + path."""
    return f"{settings.PUBLIC_BASE_URL}{path}?{urlencode(params)}" if params else f"{settings.PUBLIC_BASE_URL}{path}"


def _supported_language(language: str | None) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return language if language in codes else settings.LANGUAGE_CODE


def validate_new_password(password: str, user, *, field: str = "new_password") -> None:
    """Django's password validators, in the active language; raises ValidationError({field: [...]})."""
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise DjangoValidationError({field: list(exc.messages)}) from exc


def request_registration(*, email: str, password: str, language: str | None = None, **profile) -> Registration:
    """Start signing up with an e-mail address: the answer is the same whether it has an account.

    A new address is mailed a confirmation link; an address with an account is mailed that it
    has one, with a link to choose a new password. Either way the request is recorded with the
    password hashed, so both take the same work. Beyond the address's mail budget nothing is
    mailed (throttling.AccountMailBudget). The password was validated by the caller.
    """
    email = User.objects.normalize_email(email).strip().lower()
    language = _supported_language(language or translation.get_language())
    token = Registration.new_token()
    password_hash = make_password(password)  # slow by design: outside the transaction
    now = timezone.now()
    with transaction.atomic():
        Registration.objects.filter(expires_at__lte=now).delete()
        registration = Registration.objects.create(
            email=email, password=password_hash, language=language, token_hash=hash_registration_token(token),
            expires_at=now + REGISTRATION_TTL, **profile,
        )
        existing = User.objects.filter(email__iexact=email).first()
        if not AccountMailBudget(email).spend():
            return registration
        if existing is None:
            send_mail_after_commit(
                "confirm_registration", to=email, language=language,
                context={"url": _public_url("/confirm-registration", token=token, lang=language), "token": token,
                         "days": REGISTRATION_TTL.days},
            )
        else:
            language = _supported_language(existing.language)
            send_mail_after_commit(
                "account_exists", to=email, language=language,
                context={"url": _public_url("/reset-password", lang=language)},
            )
    return registration


def registration_for_token(token: str) -> Registration | None:
    """The registration a confirmation token belongs to, in any status (see Registration.status)."""
    return Registration.objects.filter(token_hash=hash_registration_token(token or "")).first()


@transaction.atomic
def confirm_registration(*, token: str, password: str) -> User:
    """Make the account of a registration: the token from its mail and the password chosen with it.

    Asking for the password as well means a link mailed to someone who never signed up cannot
    make an account whose password a stranger chose. Once the address has an account, every
    confirmation of it (this link again, another registration's, or one racing this one) is
    the same 409 `account_exists`.
    """
    registration = (
        Registration.objects.select_for_update().filter(token_hash=hash_registration_token(token or "")).first()
    )
    if registration is None or registration.status == "expired":
        raise DomainError(
            _("This confirmation link is invalid or has expired: register again."), code="invalid_token", field="token"
        )
    if not check_password(password, registration.password):
        raise DomainError(
            _("This is not the password you chose when you registered."), code="wrong_password", field="password"
        )
    account_exists = Conflict(
        _("This address already has an account: sign in, or choose a new password if you forgot it."),
        code="account_exists",
    )
    if registration.confirmed_at or User.objects.filter(email__iexact=registration.email).exists():
        raise account_exists
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=registration.email, display_name=registration.display_name, city=registration.city,
                district=registration.district, language=registration.language,
            )
    except IntegrityError as exc:
        # Another confirmation of the same address committed between the check and the insert.
        raise account_exists from exc
    user.password = registration.password  # already hashed when registering
    user.save(update_fields=["password"])
    registration.confirmed_at = timezone.now()
    registration.user = user
    registration.save(update_fields=["confirmed_at", "user"])
    return user


@transaction.atomic
def update_profile(user, **changes) -> User:
    """Change the user's own profile (display name, city, district, language)."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"Not profile fields: {sorted(unknown)}")
    user = get_object_or_404(User.objects.select_for_update(), pk=user.pk)  # deleted meanwhile: 404
    for field, value in changes.items():
        setattr(user, field, value.strip() if isinstance(value, str) else value)
    user.clean_fields(exclude=[field.name for field in User._meta.fields if field.name not in changes])
    user.save(update_fields=list(changes))
    return user


def issue_token(user, request=None) -> tuple[AuthToken, str]:
    """A new API token for the user (returned once, stored hashed by knox).

    Beyond REST_KNOX["TOKEN_LIMIT_PER_USER"] live tokens the oldest are signed out, so a new
    device never locks the user out.
    """
    now = timezone.now()
    with transaction.atomic():
        user.auth_token_set.filter(expiry__lte=now).delete()
        limit = knox_settings.TOKEN_LIMIT_PER_USER
        if limit:
            live = user.auth_token_set.filter(Q(expiry__gt=now) | Q(expiry__isnull=True)).order_by("-created")
            stale = list(live.values_list("pk", flat=True)[limit - 1:])
            if stale:
                AuthToken.objects.filter(pk__in=stale).delete()
        instance, token = AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return instance, token


def sign_out_everywhere(user) -> None:
    """Invalidate every API token of the user."""
    user.auth_token_set.all().delete()


@transaction.atomic
def change_password(user, *, old_password, new_password, keep_token=None) -> None:
    """Set a new password and sign out every other device (the token `keep_token` stays valid)."""
    if not user.check_password(old_password):
        raise DomainError(_("The current password is wrong."), code="wrong_password", field="old_password")
    validate_new_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    tokens = user.auth_token_set.all()
    if keep_token is not None:
        tokens = tokens.exclude(pk=keep_token.pk)
    tokens.delete()


@transaction.atomic
def create_organization(*, creator, **fields) -> Organization:
    org = Organization.objects.create(created_by=creator, **fields)
    Membership.objects.create(organization=org, user=creator, role=Role.OWNER)
    OrganizationVerificationEvent.objects.create(
        organization=org, actor=creator, from_status="", to_status=VerificationStatus.PENDING, reason=_("Registered")
    )
    return org


def _transition(org, actor, to_status, reason="", notify=None):
    """Lock the organization, move its verification status (409 if the table refuses), audit it,
    then `notify(org)`."""
    org = lock(Organization.objects, org.pk)
    return VERIFICATION.apply(
        org, to_status, notify=notify,
        changes={
            "verified_at": timezone.now() if to_status == VerificationStatus.VERIFIED else None,
            "rejection_reason": reason if to_status == VerificationStatus.REJECTED else "",
            "updated_at": timezone.now(),
        },
        audit=lambda from_status: OrganizationVerificationEvent.objects.create(
            organization=org, actor=actor, from_status=from_status, to_status=to_status, reason=reason
        ),
    )


def notify_org_admins(org, kind, context):
    """Tell an organization's owners and admins (the people who act for it) through notify()."""
    for membership in org.memberships.filter(role__in=[Role.OWNER, Role.ADMIN]).select_related("user"):
        notify(membership.user, kind, context)


@transaction.atomic
def verify_organization(org, *, actor, reason="") -> Organization:
    if not actor.is_staff:
        raise NotAllowed(_("Only platform staff verify organizations."))
    # The lazy label is rendered in each recipient's language by notify().
    return _transition(org, actor, VerificationStatus.VERIFIED, reason, notify=lambda verified: notify_org_admins(
        verified, "organization_verified", {"organization": verified.name, "kind": OrganizationKind(verified.kind).label}
    ))


@transaction.atomic
def reject_organization(org, *, actor, reason) -> Organization:
    if not actor.is_staff:
        raise NotAllowed(_("Only platform staff reject organizations."))
    if not reason or not reason.strip():
        raise DomainError(_("Say why the organization is rejected, so that it can correct its details."), field="reason")
    return _transition(org, actor, VerificationStatus.REJECTED, reason.strip(), notify=lambda rejected: notify_org_admins(
        rejected, "organization_rejected", {"organization": rejected.name, "reason": rejected.rejection_reason}
    ))


@transaction.atomic
def resubmit_organization(org, *, actor) -> Organization:
    """Ask for verification again after a rejection (the details were corrected meanwhile)."""
    require_org_role(actor, org, Role.ADMIN)
    if org.verification_status != VerificationStatus.REJECTED:
        raise Conflict(_("Only a rejected organization can be resubmitted."), code="invalid_transition")
    return _transition(org, actor, VerificationStatus.PENDING, _("Resubmitted for verification"))


@transaction.atomic
def update_organization(org, *, actor, **changes) -> Organization:
    require_org_role(actor, org, Role.ADMIN)
    identity_changed = any(field in changes and changes[field] != getattr(org, field) for field in IDENTITY_FIELDS)
    for field, value in changes.items():
        setattr(org, field, value)
    org.save()
    if identity_changed and org.verification_status == VerificationStatus.VERIFIED:
        org = _transition(org, actor, VerificationStatus.PENDING, _("Legal name or credit code changed"))
    return org


@transaction.atomic
def invite_member(org, *, actor, email="", phone="", role=Role.MEMBER, campus_role="") -> tuple[Invitation, str]:
    """Create an invitation; returns it with the one-time token (only its hash is stored)."""
    require_org_role(actor, org, Role.ADMIN)
    if role == Role.OWNER:
        require_org_role(actor, org, Role.OWNER)
    if campus_role and org.kind != "school":
        raise DomainError(_("Only schools mark members as students or teachers."), field="campus_role")
    phone = normalize_phone(phone) if phone else ""
    email = email.lower() if email else ""
    existing = User.objects.filter(email=email).first() if email else User.objects.filter(phone=phone).first()
    if existing and Membership.objects.filter(organization=org, user=existing).exists():
        raise Conflict(_("This person is already a member."), code="already_member")
    token = Invitation.new_token()
    invitation = Invitation.objects.create(
        organization=org,
        email=email,
        phone=phone,
        role=role,
        campus_role=campus_role,
        token_hash=hash_invitation_token(token),
        invited_by=actor,
        expires_at=timezone.now() + INVITATION_TTL,
    )
    if existing:
        # The code itself stays out of the stored notification: only its hash is kept anywhere.
        notify(
            existing,
            "organization_invitation",
            {"organization": org.name, "inviter": actor.public_name, "role": Role(role).label},
        )
    return invitation, token


@transaction.atomic
def accept_invitation(*, user, token) -> Membership:
    invitation = (
        Invitation.objects.select_for_update().filter(token_hash=hash_invitation_token(token or "")).first()
    )
    if invitation is None:
        raise DomainError(_("This invitation code is not valid."), code="invalid_invitation", field="token")
    addressed_to_user = (invitation.email and invitation.email == (user.email or "").lower()) or (
        invitation.phone and invitation.phone == user.phone
    )
    # Checked before the state, so that someone else's code tells nothing about the invitation.
    if not addressed_to_user:
        raise NotAllowed(_("This invitation was sent to another e-mail address or phone number."))
    if invitation.status != "open":
        raise Conflict(
            _("This invitation is %(status)s.") % {"status": INVITATION_STATUS_LABELS[invitation.status]},
            code="invitation_closed",
        )
    membership, created = Membership.objects.get_or_create(
        organization=invitation.organization,
        user=user,
        defaults={"role": invitation.role, "campus_role": invitation.campus_role},
    )
    if not created:
        raise Conflict(_("You are already a member."), code="already_member")
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def revoke_invitation(invitation, *, actor) -> Invitation:
    require_org_role(actor, invitation.organization, Role.ADMIN)
    if invitation.status != "open":
        raise Conflict(_("Only an open invitation can be revoked."), code="invitation_closed")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


def _owner_count(org):
    return Membership.objects.filter(organization=org, role=Role.OWNER).count()


@transaction.atomic
def change_membership(membership, *, actor, role=None, campus_role=None) -> Membership:
    membership = Membership.objects.select_for_update().select_related("organization").get(pk=membership.pk)
    org = membership.organization
    actor_membership = require_org_role(actor, org, Role.ADMIN) if not actor.is_staff else None
    touches_owner = role == Role.OWNER or membership.role == Role.OWNER
    if role is not None and role != membership.role:
        if touches_owner and not actor.is_staff and actor_membership.role != Role.OWNER:
            raise NotAllowed(_("Only an owner can grant or take away ownership."))
        if membership.role == Role.OWNER and _owner_count(org) == 1:
            raise Conflict(_("An organization needs at least one owner."), code="last_owner")
        if actor_membership and ROLE_RANK[role] > actor_membership.rank:
            raise NotAllowed(_("You cannot grant a role above your own."))
        membership.role = role
    if campus_role is not None:
        if campus_role and org.kind != "school":
            raise DomainError(_("Only schools mark members as students or teachers."), field="campus_role")
        membership.campus_role = campus_role
    membership.save()
    return membership


@transaction.atomic
def remove_membership(membership, *, actor) -> None:
    membership = Membership.objects.select_for_update().select_related("organization").get(pk=membership.pk)
    org = membership.organization
    leaving_self = membership.user_id == actor.pk
    if not leaving_self and not actor.is_staff:
        actor_membership = require_org_role(actor, org, Role.ADMIN)
        if membership.role == Role.OWNER and actor_membership.role != Role.OWNER:
            raise NotAllowed(_("Only an owner can remove an owner."))
        if membership.rank > actor_membership.rank:
            raise NotAllowed(_("You cannot remove a member whose role is above yours."))
    if membership.role == Role.OWNER and _owner_count(org) == 1:
        raise Conflict(_("An organization needs at least one owner."), code="last_owner")
    membership.delete()


def send_password_reset(email: str) -> None:
    """Mail a reset link if an active account uses this address; silent otherwise (no account probing)."""
    user = User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
    if user is None or not user.has_usable_password() or not AccountMailBudget(user.email).spend():
        return
    language = _supported_language(user.language)
    url = _public_url(
        "/reset-password", uid=urlsafe_base64_encode(force_bytes(user.pk)), token=default_token_generator.make_token(user),
        lang=language,
    )
    send_mail_after_commit("password_reset", to=user.email, language=language, context={"url": url})


def password_reset_user(uid: str, token: str) -> User | None:
    """The active user a reset link (uid, token) was made for, while the link still works."""
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uid or "")), is_active=True)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        return None
    return user if default_token_generator.check_token(user, token) else None


@transaction.atomic
def reset_password(uid: str, token: str, new_password: str) -> User:
    """Set a new password with the uid and token of a reset link; the link then stops working."""
    user = password_reset_user(uid, token)
    if user is not None:
        user = User.objects.select_for_update().filter(pk=user.pk, is_active=True).first()
    # Checked again under the lock: of two requests with one link, the second finds it used.
    if user is None or not default_token_generator.check_token(user, token):
        raise DomainError(_("This reset link is invalid or has expired."), code="invalid_token", field="token")
    validate_new_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    # Signing out everywhere: a reset usually means the old password leaked.
    sign_out_everywhere(user)
    return user
