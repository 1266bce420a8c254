from contextlib import contextmanager

from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth import logout as session_logout
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, NotFound, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import Membership, Organization, OrganizationKind, Role, VerificationStatus
from accounts.permissions import has_org_role, user_org_ids
from accounts.serializers import (
    AcceptInvitationSerializer,
    InvitationCreatedSerializer,
    InvitationSerializer,
    LoginSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
    MeSerializer,
    OrganizationSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    ProfileSerializer,
    RegisterConfirmSerializer,
    RegisterSerializer,
    RegistrationAcceptedSerializer,
    TokenResponseSerializer,
    VerificationEventSerializer,
    VerificationReasonSerializer,
)
from accounts.throttling import LoginAccountThrottle, LoginThrottle, PasswordResetThrottle, RegisterThrottle
from marketplace.api.permissions import IsStaff
from marketplace.errors import NotAllowed

REGISTRATION_ACCEPTED = gettext_lazy(
    "Check your mail: we sent a message to this address. Follow it to finish signing up."
)


def _token_response(user, request, status_code=status.HTTP_200_OK):
    instance, token = services.issue_token(user, request=request._request)
    return Response({"token": token, "expiry": instance.expiry, "user": MeSerializer(user).data}, status=status_code)


@contextmanager
def field_errors():
    """A service's Django ValidationError ({field: [messages]}) as the API's validation_error."""
    try:
        yield
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}) from exc


class RegisterView(APIView):
    """Start signing up with an e-mail address: always 202, and the account is made when the
    link mailed to the address is confirmed (POST auth/register/confirm). The answer is the same
    whether the address already has an account (its mail then says so), so registering cannot
    be used to find out who has one."""

    permission_classes = [AllowAny]
    authentication_classes: list = []  # a stale token on the device must not block signing up
    throttle_classes = [RegisterThrottle]

    @extend_schema(request=RegisterSerializer, responses={202: RegistrationAcceptedSerializer})
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.request_registration(**serializer.validated_data)
        return Response({"detail": REGISTRATION_ACCEPTED}, status=status.HTTP_202_ACCEPTED)


class RegisterConfirmView(APIView):
    """Make the account with the code from the confirmation mail and the password chosen when
    registering; answers with a token, as signing in does."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [RegisterThrottle]

    @extend_schema(request=RegisterConfirmSerializer, responses={201: TokenResponseSerializer})
    def post(self, request):
        serializer = RegisterConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.confirm_registration(**serializer.validated_data)
        return _token_response(user, request, status.HTTP_201_CREATED)


class LoginView(APIView):
    """Exchange a login (e-mail or phone) and password for a token.

    Limited per client address (`login`) and, across addresses, per account (`login_account`,
    failed attempts only). No session is opened here: this view is CSRF-exempt, so a session
    would allow login CSRF, and "log out everywhere" could not reach it. The browsable API logs
    in at /api-auth/login/.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LoginThrottle]

    def get_authenticate_header(self, request):
        # Wrong credentials answer 401 with the scheme to use, not DRF's 403 fallback.
        return "Token"

    @extend_schema(request=LoginSerializer, responses={200: TokenResponseSerializer})
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        login, password = serializer.validated_data["login"], serializer.validated_data["password"]
        account_throttle = LoginAccountThrottle(login)
        if not account_throttle.allow_request(request, self):
            self.throttled(request, account_throttle.wait())
        user = authenticate(request._request, login=login, password=password)
        if user is None:
            raise AuthenticationFailed(_("Wrong login or password."))
        account_throttle.forget_attempt()
        return _token_response(user, request)


class LogoutView(APIView):
    """Invalidate the token used for this request (and the session)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
        session_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """Invalidate every token of the user: sign out on all devices."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.sign_out_everywhere(request.user)
        session_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    """Change the password; every other device is signed out, this one stays signed in."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=PasswordChangeSerializer, responses={204: None})
    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with field_errors():
            services.change_password(
                request.user,
                **serializer.validated_data,
                keep_token=request.auth if isinstance(request.auth, AuthToken) else None,
            )
        if request.auth is None:
            update_session_auth_hash(request._request, request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(APIView):
    """Send a reset link to the address if an account uses it. Always 202: no account probing."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [PasswordResetThrottle]

    @extend_schema(request=PasswordResetSerializer, responses={202: None})
    def post(self, request):
        serializer = PasswordResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.send_password_reset(serializer.validated_data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    """Set a new password with the uid and token of a reset link (also served as the page /reset-password)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [PasswordResetThrottle]

    @extend_schema(request=PasswordResetConfirmSerializer, responses={204: None})
    def post(self, request):
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with field_errors():
            services.reset_password(**serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """The signed-in user's own profile: read it, or change the display name, city, district or language."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=ProfileSerializer, responses=MeSerializer)
    def patch(self, request):
        serializer = ProfileSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with field_errors():
            user = services.update_profile(request.user, **serializer.validated_data)
        return Response(MeSerializer(user).data)


class OrganizationFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=OrganizationKind.choices)
    verification_status = filters.ChoiceFilter(choices=VerificationStatus.choices)
    city = filters.CharFilter()
    mine = filters.BooleanFilter(method="filter_mine", label=gettext_lazy("Only organizations I belong to"))

    class Meta:
        model = Organization
        fields = ["kind", "verification_status", "city"]

    def filter_mine(self, queryset, name, value):
        if value:
            return queryset.filter(pk__in=user_org_ids(self.request.user))
        return queryset


class OrganizationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Organizations. Anyone sees verified ones; members and staff also see pending and rejected ones."""

    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        queryset = Organization.objects.all()
        if user.is_authenticated and user.is_staff:
            return queryset
        visible = Q(verification_status=VerificationStatus.VERIFIED)
        if user.is_authenticated:
            visible |= Q(pk__in=user_org_ids(user))
        return queryset.filter(visible)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        if user.is_authenticated:
            context["my_roles"] = dict(Membership.objects.filter(user=user).values_list("organization_id", "role"))
        return context

    def perform_create(self, serializer):
        serializer.instance = services.create_organization(creator=self.request.user, **serializer.validated_data)
        # The context was built before the organization existed: the creator is its owner.
        serializer.context.setdefault("my_roles", {})[serializer.instance.pk] = Role.OWNER

    def perform_update(self, serializer):
        serializer.instance = services.update_organization(
            serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    @extend_schema(request=VerificationReasonSerializer, responses=OrganizationSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def verify(self, request, pk=None):
        serializer = VerificationReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        org = services.verify_organization(self.get_object(), actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(org).data)

    @extend_schema(request=VerificationReasonSerializer, responses=OrganizationSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def reject(self, request, pk=None):
        serializer = VerificationReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        org = services.reject_organization(self.get_object(), actor=request.user, reason=serializer.validated_data.get("reason", ""))
        return Response(self.get_serializer(org).data)

    @extend_schema(request=None, responses=OrganizationSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def resubmit(self, request, pk=None):
        org = services.resubmit_organization(self.get_object(), actor=request.user)
        return Response(self.get_serializer(org).data)

    @extend_schema(responses=VerificationEventSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="verification-events", permission_classes=[IsAuthenticated], pagination_class=None)
    def verification_events(self, request, pk=None):
        org = self._org_for_role(Role.ADMIN)
        events = org.verification_events.select_related("actor")
        return Response(VerificationEventSerializer(events, many=True).data)

    def _org_for_role(self, min_role):
        org = self.get_object()
        if not (self.request.user.is_staff or has_org_role(self.request.user, org, min_role)):
            raise NotAllowed(_("You need the role “%(role)s” or higher in %(org)s.") % {"role": Role(min_role).label, "org": org.name})
        return org

    @extend_schema(responses=MembershipSerializer(many=True))
    @action(detail=True, methods=["get"], permission_classes=[IsAuthenticated], pagination_class=None)
    def members(self, request, pk=None):
        org = self._org_for_role(Role.MEMBER)
        memberships = org.memberships.select_related("user")
        return Response(MembershipSerializer(memberships, many=True).data)

    @extend_schema(methods=["patch"], request=MembershipUpdateSerializer, responses=MembershipSerializer)
    @extend_schema(methods=["delete"], request=None, responses={204: None})
    @action(
        detail=True, methods=["patch", "delete"], url_path=r"members/(?P<user_id>\d+)", permission_classes=[IsAuthenticated]
    )
    def member(self, request, pk=None, user_id=None):
        org = self._org_for_role(Role.MEMBER)
        membership = org.memberships.select_related("user").filter(user_id=user_id).first()
        if membership is None:
            raise NotFound(_("No such member."))
        if request.method == "DELETE":
            services.remove_membership(membership, actor=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        serializer = MembershipUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.change_membership(membership, actor=request.user, **serializer.validated_data)
        return Response(MembershipSerializer(membership).data)

    @extend_schema(methods=["get"], responses=InvitationSerializer(many=True))
    @extend_schema(methods=["post"], request=InvitationSerializer, responses={201: InvitationCreatedSerializer})
    @action(detail=True, methods=["get", "post"], permission_classes=[IsAuthenticated], pagination_class=None)
    def invitations(self, request, pk=None):
        org = self._org_for_role(Role.ADMIN)
        if request.method == "GET":
            return Response(InvitationSerializer(org.invitations.all(), many=True).data)
        serializer = InvitationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation, token = services.invite_member(org, actor=request.user, **serializer.validated_data)
        invitation.token = token
        return Response(InvitationCreatedSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InvitationSerializer)
    @action(
        detail=True, methods=["post"], url_path=r"invitations/(?P<invitation_id>\d+)/revoke",
        permission_classes=[IsAuthenticated],
    )
    def revoke_invitation(self, request, pk=None, invitation_id=None):
        org = self._org_for_role(Role.ADMIN)
        invitation = org.invitations.filter(pk=invitation_id).first()
        if invitation is None:
            raise NotFound(_("No such invitation."))
        invitation = services.revoke_invitation(invitation, actor=request.user)
        return Response(InvitationSerializer(invitation).data)


class AcceptInvitationView(APIView):
    """Join an organization with the code from an invitation addressed to your e-mail or phone."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=AcceptInvitationSerializer, responses={201: MembershipSerializer})
    def post(self, request):
        serializer = AcceptInvitationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.accept_invitation(user=request.user, token=serializer.validated_data["token"])
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

