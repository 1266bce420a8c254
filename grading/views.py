"""Thin views of the grading API: authenticate, look up, call a selector or a service."""
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organization
from grading import selectors, services
from grading.models import Assessment, AssessmentSource, GradingStandard, StandardStatus
from grading.serializers import (
    AssessmentCreateSerializer,
    AssessmentSerializer,
    EvidenceCreateSerializer,
    EvidenceSerializer,
    GradeReportSerializer,
    StandardSerializer,
)
from listings.models import Listing

LANGUAGE_HEADER = OpenApiParameter(
    "Accept-Language", str, OpenApiParameter.HEADER, required=False,
    description="zh-hans (default) or en: the language of the localized fields.",
)


def _visible_listing(request, listing_id, *, check=selectors.can_view_grading):
    """The listing if the user may see its grading; 404 otherwise, so hidden listings stay hidden."""
    listing = get_object_or_404(Listing.objects.select_related("organization"), pk=listing_id)
    if not check(request.user, listing):
        raise NotFound()
    return listing


class StandardFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=[(StandardStatus.PUBLISHED, StandardStatus.PUBLISHED.label),
                                           (StandardStatus.SUPERSEDED, StandardStatus.SUPERSEDED.label)])
    code = filters.CharFilter()

    class Meta:
        model = GradingStandard
        fields = ["status", "code"]


@extend_schema(parameters=[LANGUAGE_HEADER])
class StandardViewSet(viewsets.ReadOnlyModelViewSet):
    """Published and superseded grading standards with their grade scale and criteria. Drafts are not shown."""

    serializer_class = StandardSerializer
    filterset_class = StandardFilter
    permission_classes = [AllowAny]

    def get_queryset(self):
        return selectors.public_standards().order_by("code", "-version")


class StandardByCodeView(generics.RetrieveAPIView):
    """One version of a standard by its code and version, e.g. phone/1."""

    serializer_class = StandardSerializer
    permission_classes = [AllowAny]

    @extend_schema(parameters=[LANGUAGE_HEADER], operation_id="grading_standards_by_code")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_object(self):
        return get_object_or_404(selectors.public_standards(), code=self.kwargs["code"], version=self.kwargs["version"])


class ListingAssessmentsView(generics.ListCreateAPIView):
    """Assessments of a listing, newest first. Anyone sees those of a public listing; the seller side
    and staff see those of any listing. POST records a self-assessment (the seller or a member of the
    selling organization) or, with source=inspection and agency=<id>, an inspection by a member of
    that verified inspection agency. The grade is computed from the answers, never sent."""

    serializer_class = AssessmentSerializer
    permission_classes = [IsAuthenticatedOrReadOnly]
    queryset = Assessment.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Assessment.objects.none()
        listing = _visible_listing(self.request, self.kwargs["listing_id"])
        return selectors.assessments_for_api(listing)

    @extend_schema(parameters=[LANGUAGE_HEADER])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=AssessmentCreateSerializer, responses={201: AssessmentSerializer})
    def post(self, request, listing_id):
        serializer = AssessmentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["source"] == AssessmentSource.INSPECTION:
            # An agency may inspect a listing before it is published; to anyone else a hidden listing
            # stays hidden. The service decides who may inspect.
            listing = get_object_or_404(Listing, pk=listing_id)
            agency = get_object_or_404(Organization, pk=data["agency"])
            if not (selectors.can_view_grading(request.user, listing) or selectors.acts_for_agency(request.user, agency)):
                raise NotFound()
            assessment = services.inspect(listing, actor=request.user, agency=agency, answers=data["answers"],
                                          notes=data["notes"])
        else:
            listing = _visible_listing(request, listing_id)
            assessment = services.self_assess(listing, actor=request.user, answers=data["answers"], notes=data["notes"])
        assessment = selectors.assessments_for_api(listing).get(pk=assessment.pk)
        return Response(AssessmentSerializer(assessment, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class EvidenceView(APIView):
    """Add a photo backing an answer: only the assessor, within 24 hours, at most 10 per assessment."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": EvidenceCreateSerializer}, responses={201: EvidenceSerializer})
    def post(self, request, listing_id, pk):
        listing = _visible_listing(request, listing_id)
        assessment = get_object_or_404(Assessment, pk=pk, listing=listing)
        serializer = EvidenceCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evidence = services.add_evidence(assessment, actor=request.user, **serializer.validated_data)
        return Response(EvidenceSerializer(evidence, context={"request": request}).data, status=status.HTTP_201_CREATED)


class GradeReportView(APIView):
    """The grade report a buyer reads, after GB/T 21667-2024's appraisal report. For a listing that
    is not public, only its seller side and staff get it (others: 404)."""

    permission_classes = [AllowAny]

    @extend_schema(parameters=[LANGUAGE_HEADER], responses=GradeReportSerializer)
    def get(self, request, listing_id):
        listing = _visible_listing(request, listing_id, check=selectors.can_view_report)
        return Response(GradeReportSerializer(selectors.grade_report(listing, request)).data)
