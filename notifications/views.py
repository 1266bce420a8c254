from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from marketplace.api.pagination import FeedPagination
from notifications import services
from notifications.kinds import all_kinds
from notifications.models import Notification, NotificationPreference
from notifications.serializers import (
    MarkReadSerializer,
    NotificationSerializer,
    PreferenceSerializer,
    UnreadCountSerializer,
)


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The signed-in user's notifications, newest first. Nobody else's are ever visible."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = FeedPagination
    filterset_fields = ["kind"]

    queryset = Notification.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return Notification.objects.filter(recipient=self.request.user)

    @extend_schema(responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        return Response({"unread": self.get_queryset().filter(read_at__isnull=True).count()})

    @extend_schema(request=MarkReadSerializer, responses=UnreadCountSerializer)
    @action(detail=False, methods=["post"], url_path="mark-read", serializer_class=MarkReadSerializer)
    def mark_read(self, request):
        """Mark the given ids read, or every unread notification when `ids` is omitted."""
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.mark_read(request.user, serializer.validated_data.get("ids"))
        return Response({"unread": self.get_queryset().filter(read_at__isnull=True).count()})

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        services.mark_read(request.user, [notification.pk])
        notification.refresh_from_db()
        return Response(NotificationSerializer(notification).data)

    @extend_schema(methods=["get"], responses=PreferenceSerializer(many=True))
    @extend_schema(methods=["put"], request=PreferenceSerializer, responses=PreferenceSerializer(many=True))
    @action(detail=False, methods=["get", "put"], pagination_class=None, serializer_class=PreferenceSerializer)
    def preferences(self, request):
        """E-mail on/off per kind; PUT one {kind, email_enabled} at a time."""
        if request.method == "PUT":
            serializer = PreferenceSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            services.set_email_preference(request.user, data["kind"], data["email_enabled"])
        chosen = dict(NotificationPreference.objects.filter(user=request.user).values_list("kind", "email_enabled"))
        return Response(
            [{"kind": kind.code, "email_enabled": chosen.get(kind.code, kind.email)} for kind in all_kinds()]
        )
