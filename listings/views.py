"""Thin API views: authenticate, parse, call listings.services / listings.lifecycle, shape the answer."""
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from listings import lifecycle, services
from listings.filters import TRUE_WORDS, ListingFilter
from listings.models import Category, Favourite, Listing, ListingReport, ReportStatus
from listings.permissions import can_manage
from listings.selectors import (
    PUBLIC_STATES,
    category_map,
    managed_listings,
    visible_listings,
    with_cards,
    with_details,
)
from listings.serializers import (
    CategoryTreeSerializer,
    FavouriteSerializer,
    ListingCardSerializer,
    ListingChangeSerializer,
    ListingCreateSerializer,
    ListingDetailSerializer,
    ListingReasonSerializer,
    ListingUpdateSerializer,
    ModerationReportSerializer,
    PhotoOrderSerializer,
    PhotoSerializer,
    PhotoUploadSerializer,
    ReportCreateSerializer,
    ReportSerializer,
    SuspendReasonSerializer,
    TransitionSerializer,
)
from marketplace.api.pagination import ValidatedPagePagination
from marketplace.api.permissions import IsStaff
from marketplace.errors import NotAllowed


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The category tree: roots with their children, each naming its grading standard and attribute schema."""

    serializer_class = CategoryTreeSerializer
    permission_classes = [AllowAny]
    pagination_class = None
    queryset = Category.objects.none()
    lookup_value_regex = r"\d+"

    def _tree(self):
        categories = list(Category.objects.filter(is_active=True))
        by_id = {category.pk: category for category in categories}
        for category in categories:
            category.child_nodes = []
        for category in categories:
            parent = by_id.get(category.parent_id)
            if parent is not None:
                parent.child_nodes.append(category)
        return by_id

    def list(self, request, *args, **kwargs):
        roots = [category for category in self._tree().values() if category.parent_id is None]
        return Response(self.get_serializer(roots, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        category = self._tree().get(int(kwargs["pk"]))
        if category is None:
            raise NotFound(_("No such category."))
        return Response(self.get_serializer(category).data)


class ListingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    mixins.DestroyModelMixin, viewsets.GenericViewSet,
):
    """Listings. The public sees active, reserved and sold ones; sellers see theirs in every state
    (`?mine=1` or `?seller=me`); staff see everything."""

    queryset = Listing.objects.none()
    serializer_class = ListingDetailSerializer
    filterset_class = ListingFilter
    pagination_class = ValidatedPagePagination
    filter_backends = [filters.DjangoFilterBackend]
    permission_classes = [IsAuthenticatedOrReadOnly]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = r"\d+"

    def _wants_mine(self):
        params = self.request.query_params
        return params.get("mine", "").strip().lower() in TRUE_WORDS or params.get("seller") == "me"

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            if self._wants_mine():
                base = managed_listings(user)
            elif user.is_authenticated and user.is_staff and self.request.query_params.get("state"):
                base = Listing.objects.all()  # staff moderating: any state on request
            else:
                base = Listing.objects.filter(state__in=PUBLIC_STATES)
            return with_cards(base)
        if self.action == "retrieve":
            return with_details(visible_listings(user), user)
        return visible_listings(user)

    def get_serializer_class(self):
        if self.action == "list":
            return ListingCardSerializer
        return ListingDetailSerializer

    def _detail(self, listing, status_code=status.HTTP_200_OK):
        fresh = with_details(Listing.objects.filter(pk=listing.pk), self.request.user).first()
        if fresh is None:  # deleted by another request right after this one's change was committed
            raise NotFound(_("This listing no longer exists."))
        context = {**self.get_serializer_context(), "categories": category_map()}
        return Response(ListingDetailSerializer(fresh, context=context).data, status=status_code)

    def retrieve(self, request, *args, **kwargs):
        listing = self.get_object()
        services.record_view(listing, viewer=request.user, client_key=request.META.get("REMOTE_ADDR", ""))
        context = {**self.get_serializer_context(), "categories": category_map()}
        return Response(ListingDetailSerializer(listing, context=context).data)

    @extend_schema(request=ListingCreateSerializer, responses={201: ListingDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ListingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        listing = services.create_listing(actor=request.user, **serializer.validated_data)
        return self._detail(listing, status.HTTP_201_CREATED)

    @extend_schema(request=ListingUpdateSerializer, responses=ListingDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        listing = self.get_object()
        serializer = ListingUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        listing = services.update_listing(listing, actor=request.user, **serializer.validated_data)
        return self._detail(listing)

    def destroy(self, request, *args, **kwargs):
        services.delete_draft(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # Lifecycle

    def _move(self, request, move, serializer_class=ListingReasonSerializer):
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        listing = move(self.get_object(), actor=request.user, **serializer.validated_data)
        return self._detail(listing)

    @extend_schema(request=None, responses=ListingDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def publish(self, request, pk=None):
        """draft -> active. Needs a photo, a grade and every publish rule (all reasons are given)."""
        return self._detail(lifecycle.publish(self.get_object(), actor=request.user))

    @extend_schema(request=ListingReasonSerializer, responses=ListingDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def withdraw(self, request, pk=None):
        return self._move(request, lifecycle.withdraw)

    @extend_schema(request=ListingReasonSerializer, responses=ListingDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def reserve(self, request, pk=None):
        return self._move(request, lifecycle.reserve)

    @extend_schema(request=ListingReasonSerializer, responses=ListingDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def release(self, request, pk=None):
        return self._move(request, lifecycle.release)

    @extend_schema(request=ListingReasonSerializer, responses=ListingDetailSerializer)
    @action(detail=True, methods=["post"], url_path="mark-sold", permission_classes=[IsAuthenticated])
    def mark_sold(self, request, pk=None):
        return self._move(request, lifecycle.mark_sold)

    @extend_schema(request=ListingReasonSerializer, responses=ListingDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def reopen(self, request, pk=None):
        """withdrawn | expired -> draft, to edit and publish again."""
        return self._move(request, lifecycle.reopen)

    @extend_schema(request=SuspendReasonSerializer, responses=ListingDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def suspend(self, request, pk=None):
        """Staff: hide the listing for moderation; the seller is told the reason."""
        return self._move(request, lifecycle.suspend, SuspendReasonSerializer)

    @extend_schema(request=ListingReasonSerializer, responses=ListingDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def reinstate(self, request, pk=None):
        """Staff: lift the moderation suspension (other sources, e.g. a certificate, stay in force)."""
        return self._move(request, lifecycle.reinstate)

    # Photos

    @extend_schema(methods=["get"], responses=PhotoSerializer(many=True))
    @extend_schema(
        methods=["post"], request={"multipart/form-data": PhotoUploadSerializer}, responses={201: PhotoSerializer}
    )
    @action(
        detail=True, methods=["get", "post"], pagination_class=None, parser_classes=[MultiPartParser],
        permission_classes=[IsAuthenticatedOrReadOnly],
    )
    def photos(self, request, pk=None):
        """The listing's photos in order. The seller side and staff also see photos still waiting
        for their derivatives (`ready: false`); everyone else sees ready photos only."""
        listing = self.get_object()
        if request.method == "GET":
            photos = listing.photos.select_related("duplicate_of").order_by("position", "id")
            if not (request.user.is_staff or can_manage(request.user, listing)):
                photos = photos.filter(ready=True)
            return Response(PhotoSerializer(photos, many=True, context=self.get_serializer_context()).data)
        serializer = PhotoUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo = services.add_photo(listing, actor=request.user, uploaded_file=serializer.validated_data["image"])
        return Response(PhotoSerializer(photo, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)

    def _photo(self, listing, photo_id):
        return get_object_or_404(listing.photos.all(), pk=photo_id)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"photos/(?P<photo_id>\d+)", permission_classes=[IsAuthenticated])
    def photo(self, request, pk=None, photo_id=None):
        services.delete_photo(self._photo(self.get_object(), photo_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=PhotoOrderSerializer, responses=PhotoSerializer(many=True))
    @action(detail=True, methods=["post"], url_path="photos/reorder", permission_classes=[IsAuthenticated])
    def reorder_photos(self, request, pk=None):
        """Give every photo id in the wanted order; the first becomes the cover."""
        serializer = PhotoOrderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photos = services.reorder_photos(self.get_object(), actor=request.user, photo_ids=serializer.validated_data["photo_ids"])
        return Response(PhotoSerializer(photos, many=True, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=PhotoSerializer(many=True))
    @action(
        detail=True, methods=["post"], url_path=r"photos/(?P<photo_id>\d+)/set-cover", permission_classes=[IsAuthenticated]
    )
    def set_cover(self, request, pk=None, photo_id=None):
        photos = services.set_cover(self._photo(self.get_object(), photo_id), actor=request.user)
        return Response(PhotoSerializer(photos, many=True, context=self.get_serializer_context()).data)

    # History, favourites, reports

    @extend_schema(responses=ListingChangeSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, permission_classes=[AllowAny])
    def history(self, request, pk=None):
        """Price and description changes, oldest first."""
        return Response(ListingChangeSerializer(self.get_object().changes.all(), many=True).data)

    @extend_schema(responses=TransitionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, permission_classes=[IsAuthenticated])
    def transitions(self, request, pk=None):
        """The state audit (who, when, from, to, why): for the seller and staff."""
        listing = self.get_object()
        if not (request.user.is_staff or can_manage(request.user, listing)):
            raise NotAllowed(_("Only the seller and staff see the history of states."))
        return Response(TransitionSerializer(listing.transitions.select_related("actor"), many=True).data)

    @extend_schema(methods=["post"], request=None, responses={201: FavouriteSerializer, 200: FavouriteSerializer})
    @extend_schema(methods=["delete"], request=None, responses={204: None})
    @action(detail=True, methods=["post", "delete"], permission_classes=[IsAuthenticated])
    def favourite(self, request, pk=None):
        """Add the listing to my watchlist (POST: the favourite, 201 when added, 200 when it was
        already there) or take it off (DELETE)."""
        listing = self.get_object()
        if request.method == "DELETE":
            services.remove_favourite(listing, user=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        favourite, created = services.add_favourite(listing, user=request.user)
        favourite = Favourite.objects.prefetch_related(
            Prefetch("listing", queryset=with_cards(Listing.objects.all()))
        ).get(pk=favourite.pk)
        return Response(FavouriteSerializer(favourite, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=ReportCreateSerializer, responses={201: ReportSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def report(self, request, pk=None):
        """Report the listing to staff; one open report per person per listing. `reason` is one of
        prohibited, fraud, wrong_grade, counterfeit, duplicate, offensive, other."""
        serializer = ReportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.report_listing(self.get_object(), reporter=request.user, **serializer.validated_data)
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)


class FavouriteViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """My watchlist: the published listings I favourited, newest first."""

    serializer_class = FavouriteSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = ValidatedPagePagination
    queryset = Favourite.objects.none()

    def get_queryset(self):
        return (
            Favourite.objects.filter(user=self.request.user, listing__state__in=PUBLIC_STATES)
            .prefetch_related(Prefetch("listing", queryset=with_cards(Listing.objects.all())))
            .order_by("-created_at", "-id")
        )


class ReportFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ReportStatus.choices, empty_label=None)

    class Meta:
        model = ListingReport
        fields = ["status", "reason"]


class ModerationReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Staff moderation queue: open reports first in, with the listing; suspend the listing or dismiss."""

    serializer_class = ModerationReportSerializer
    permission_classes = [IsStaff]
    queryset = ListingReport.objects.none()
    filterset_class = ReportFilter
    filter_backends = [filters.DjangoFilterBackend]
    pagination_class = ValidatedPagePagination

    def get_queryset(self):
        queryset = ListingReport.objects.select_related("reporter", "handled_by").prefetch_related(
            Prefetch("listing", queryset=with_cards(Listing.objects.all()))
        )
        if self.action == "list" and not self.request.query_params.get("status"):
            queryset = queryset.filter(status=ReportStatus.OPEN)
        return queryset.order_by("created_at", "id")

    @extend_schema(request=SuspendReasonSerializer, responses=ModerationReportSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        """Suspend the reported listing with a reason; closes every open report on it."""
        serializer = SuspendReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.action_report(self.get_object(), actor=request.user, reason=serializer.validated_data["reason"])
        return Response(self.get_serializer(self.get_queryset().get(pk=report.pk)).data)

    @extend_schema(request=ListingReasonSerializer, responses=ModerationReportSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        serializer = ListingReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.dismiss_report(self.get_object(), actor=request.user, resolution=serializer.validated_data["reason"])
        return Response(self.get_serializer(self.get_queryset().get(pk=report.pk)).data)

