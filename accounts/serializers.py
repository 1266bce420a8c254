from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.models import (
    CampusRole,
    Invitation,
    Membership,
    Organization,
    OrganizationVerificationEvent,
    Role,
    User,
)
from accounts.services import PROFILE_FIELDS
from accounts.validators import normalize_credit_code, normalize_phone, validate_credit_code, validate_phone


class MeSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "phone", "display_name", "city", "district", "language", "is_staff", "date_joined"]
        read_only_fields = ["id", "email", "phone", "is_staff", "date_joined"]


class PublicUserSerializer(serializers.ModelSerializer):
    """What any user may see of another: no e-mail, no phone."""

    display_name = serializers.CharField(source="public_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "display_name", "city"]
        read_only_fields = fields


class ProfileSerializer(serializers.ModelSerializer):
    """The profile fields a user may change."""

    # Validation only: accounts.services.update_profile saves them.

    class Meta:
        model = User
        fields = list(PROFILE_FIELDS)


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False, style={"input_type": "password"})
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=60)
    city = serializers.CharField(required=False, allow_blank=True, max_length=40)
    district = serializers.CharField(required=False, allow_blank=True, max_length=40)
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES, required=False, help_text="Language of the account and of the confirmation mail."
    )

    def validate_email(self, value):
        return value.strip().lower()

    def to_internal_value(self, data):
        # No SMS gateway confirms a number, and refusing a taken one would tell that it has an
        # account: phone numbers are not registered here (staff add them; they sign in as before).
        phone_error = {"phone": [_("Sign up with an e-mail address: a phone number cannot be confirmed yet.")]}
        if not (isinstance(data, Mapping) and data.get("phone")):
            return super().to_internal_value(data)
        try:
            super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**exc.detail, **phone_error}) from exc
        raise serializers.ValidationError(phone_error)

    def validate(self, attrs):
        candidate = User(email=attrs["email"], display_name=attrs.get("display_name", ""))
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


class RegistrationAcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class RegisterConfirmSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=128, help_text="The confirmation code from the mail (also in its link).")
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"},
        help_text="The password given when registering.",
    )


class LoginSerializer(serializers.Serializer):
    login = serializers.CharField(max_length=254, help_text="E-mail address or mobile number.")
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField()
    user = MeSerializer()


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})
    new_password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class PasswordResetSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class OrganizationSerializer(serializers.ModelSerializer):
    my_role = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = [
            "id", "kind", "name", "legal_name", "credit_code", "address", "city", "district",
            "contact_name", "contact_phone", "contact_email", "description",
            "verification_status", "verified_at", "rejection_reason", "created_at", "my_role",
        ]
        read_only_fields = ["verification_status", "verified_at", "rejection_reason", "created_at", "my_role"]

    def get_my_role(self, obj) -> str | None:
        roles = self.context.get("my_roles") or {}
        return roles.get(obj.pk)

    def validate_credit_code(self, value):
        value = normalize_credit_code(value)
        validate_credit_code(value)
        clash = Organization.objects.filter(credit_code=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(_("An organization with this credit code is already registered."))
        return value

    def validate_kind(self, value):
        if self.instance is not None and value != self.instance.kind:
            raise serializers.ValidationError(_("The kind of an organization cannot change; register a new one."))
        return value


class VerificationReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class VerificationEventSerializer(serializers.ModelSerializer):
    actor = PublicUserSerializer(read_only=True)

    class Meta:
        model = OrganizationVerificationEvent
        fields = ["id", "from_status", "to_status", "reason", "actor", "created_at"]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer):
    user = PublicUserSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "campus_role", "created_at"]
        read_only_fields = ["id", "user", "created_at"]


class MembershipUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    campus_role = serializers.ChoiceField(choices=CampusRole.choices, required=False, allow_blank=True)


class InvitationSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "phone", "role", "campus_role", "status", "created_at", "expires_at", "accepted_at"]
        read_only_fields = ["id", "status", "created_at", "expires_at", "accepted_at"]
        extra_kwargs = {"email": {"required": False}, "phone": {"required": False}}

    def validate_phone(self, value):
        if value:
            validate_phone(value)
            return normalize_phone(value)
        return value

    def validate(self, attrs):
        if not attrs.get("email") and not attrs.get("phone"):
            raise serializers.ValidationError(_("Give the invitee's e-mail address or phone number."))
        return attrs


class InvitationCreatedSerializer(InvitationSerializer):
    token = serializers.CharField(read_only=True, help_text="One-time code to pass to the invitee; shown only now.")

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "token"]
        read_only_fields = fields


class AcceptInvitationSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=128)
