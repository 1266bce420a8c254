"""Thin API views of the certification app: authenticate, parse, call a service, shape the answer."""
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from certification import codes, labels, selectors, services
from certification.chain import verify_chain
from certification.models import Certificate, RemanufacturedUnit, TraceEvent
from certification.public import verification
from certification.rules import remanufactured_listing_rule
from certification.serializers import (
    CertificateDocumentSerializer,
    CertificateEventSerializer,
    CertificateIssueSerializer,
    CertificateSerializer,
    ChainReportSerializer,
    DataErasureRecordPrivateSerializer,
    DataErasureRecordSerializer,
    DataErasureSerializer,
    DataErasureWriteSerializer,
    ListingCertificationSerializer,
    ListingCertificationWriteSerializer,
    ReasonSerializer,
    RequiredReasonSerializer,
    TraceEventSerializer,
    TraceEventWriteSerializer,
    UnitSerializer,
    VerifyResultSerializer,
    WarrantySerializer,
)
from certification.throttling import VerifyThrottle
from listings.models import Listing
from listings.permissions import can_manage
from listings.selectors import visible_listings
from marketplace.api.renderers import PNGView
from marketplace.errors import NotAllowed

CODE_PATTERN = r"[0-9A-Za-z\-]{4,24}"


class CertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Certificates. Everyone sees valid certificates (the public register); members of the issuer
    and the holder see theirs in every status; staff see all. Issuer admins issue and change them."""

    serializer_class = CertificateSerializer
    permission_classes = [IsAuthenticatedOrReadOnly]
    filterset_fields = ["status", "type", "issuer", "holder"]
    queryset = Certificate.objects.none()
    # Ids are numbers: any other path segment is no certificate (404), never a failed lookup.
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Certificate.objects.none()
        return selectors.visible_certificates(self.request.user)

    def _visible_certificate(self, pk):
        """The certificate if the user may see it; a hidden one is as unknown as a missing one (404)."""
        return get_object_or_404(selectors.visible_certificates(self.request.user), pk=pk)

    def _certificate_for_change(self, pk):
        # A certificate the user sees but does not issue gets a clear 403 from the service.
        return self._visible_certificate(pk)

    def _certificate_internals(self, pk):
        # Anonymous callers are refused before the lookup, so they cannot probe which ids exist.
        if not self.request.user.is_authenticated:
            raise NotAuthenticated()
        certificate = self._visible_certificate(pk)
        if not selectors.can_see_certificate_internals(self.request.user, certificate):
            raise NotAllowed(_("Only the issuer, the holder and platform staff see this."))
        return certificate

    @extend_schema(request=CertificateIssueSerializer, responses={201: CertificateSerializer})
    def create(self, request):
        """Issue a certificate (admins of a verified certification body)."""
        serializer = CertificateIssueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        certificate = services.issue_certificate(actor=request.user, **serializer.validated_data)
        return Response(CertificateSerializer(certificate).data, status=status.HTTP_201_CREATED)

    def _change(self, request, pk, change, serializer_class=ReasonSerializer):
        certificate = self._certificate_for_change(pk)
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        certificate = change(certificate, actor=request.user, reason=serializer.validated_data["reason"])
        return Response(CertificateSerializer(certificate).data)

    @extend_schema(request=RequiredReasonSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        """valid -> suspended; every listing relying on the certificate is suspended in the same transaction."""
        return self._change(request, pk, services.suspend_certificate, RequiredReasonSerializer)

    @extend_schema(request=ReasonSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        """suspended -> valid; listings suspended only because of the certificate come back."""
        return self._change(request, pk, services.reinstate_certificate)

    @extend_schema(request=RequiredReasonSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """valid | suspended -> revoked (final); relying listings are suspended."""
        return self._change(request, pk, services.revoke_certificate, RequiredReasonSerializer)

    @extend_schema(responses=CertificateEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        """Every change with actor and reason (issuer, holder, staff)."""
        certificate = self._certificate_internals(pk)
        events = certificate.events.select_related("actor").order_by("created_at", "id")
        return Response(CertificateEventSerializer(events, many=True).data)

    @extend_schema(methods=["get"], responses=CertificateDocumentSerializer(many=True))
    @extend_schema(methods=["post"], request={"multipart/form-data": CertificateDocumentSerializer},
                   responses={201: CertificateDocumentSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None,
            parser_classes=[MultiPartParser])
    def documents(self, request, pk=None):
        """PDF or image scans of the certificate: issuer admins upload; issuer, holder and staff read."""
        if request.method == "POST":
            certificate = self._certificate_for_change(pk)
            serializer = CertificateDocumentSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            document = services.add_certificate_document(
                certificate, actor=request.user, title=serializer.validated_data["title"],
                upload=serializer.validated_data["file"],
            )
            return Response(CertificateDocumentSerializer(document, context={"request": request}).data,
                            status=status.HTTP_201_CREATED)
        certificate = self._certificate_internals(pk)
        return Response(
            CertificateDocumentSerializer(certificate.documents.all(), many=True, context={"request": request}).data
        )


class UnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Remanufactured units of the signed-in user's organizations (staff: all), by trace code."""

    serializer_class = UnitSerializer
    permission_classes = [IsAuthenticated]
    lookup_field = "trace_code"
    lookup_value_regex = CODE_PATTERN
    filterset_fields = ["manufacturer", "certificate", "listing"]
    queryset = RemanufacturedUnit.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RemanufacturedUnit.objects.none()
        return selectors.visible_units(self.request.user)

    def get_object(self):
        self.kwargs[self.lookup_field] = codes.normalize_code(self.kwargs[self.lookup_field])
        return super().get_object()

    @extend_schema(request=UnitSerializer, responses={201: UnitSerializer})
    def create(self, request):
        """Register a unit (members of a verified remanufacturer); a trace code is generated."""
        serializer = UnitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit = services.create_unit(actor=request.user, **serializer.validated_data)
        return Response(UnitSerializer(unit).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["get"], responses=TraceEventSerializer(many=True))
    @extend_schema(methods=["post"], request=TraceEventWriteSerializer, responses={201: TraceEventSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def events(self, request, trace_code=None):
        """The unit's trace events, oldest first; POST appends one (members of the remanufacturer)."""
        unit = self.get_object()
        if request.method == "POST":
            serializer = TraceEventWriteSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            event = services.append_trace_event(unit, actor=request.user, **serializer.validated_data)
            return Response(TraceEventSerializer(event).data, status=status.HTTP_201_CREATED)
        events = TraceEvent.objects.filter(unit=unit).select_related("operator").order_by("sequence")
        return Response(TraceEventSerializer(events, many=True).data)


class UnitChainView(APIView):
    """Anyone may check that a unit's trace chain is intact (no event data, just the verdict)."""

    permission_classes = [AllowAny]
    throttle_classes = [VerifyThrottle]

    @extend_schema(responses={200: ChainReportSerializer, 404: OpenApiResponse(description="Unknown trace code")})
    def get(self, request, trace_code):
        code = codes.normalize_code(trace_code)
        if not codes.is_trace_code(code):
            raise NotFound(_("No unit has this trace code."))
        unit = RemanufacturedUnit.objects.filter(trace_code=code).first()
        if unit is None:
            raise NotFound(_("No unit has this trace code."))
        report = verify_chain(unit)
        return Response({"trace_code": unit.trace_code, "ok": report.ok, "length": report.length,
                         "first_bad_event": report.first_bad_event, "head_hash": report.head_hash})


def _listing_for(request, listing_id, *, manage=False) -> Listing:
    """The listing if the user may see it (404 otherwise); with manage=True the user must manage it (403)."""
    listing = Listing.objects.select_related("organization", "category").filter(pk=listing_id).first()
    if listing is None:
        raise Http404
    if manage:
        if not can_manage(request.user, listing):
            if not visible_listings(request.user).filter(pk=listing.pk).exists():
                raise Http404
            raise NotAllowed(_("Only the seller of this listing may do this."))
        return listing
    if not visible_listings(request.user).filter(pk=listing.pk).exists():
        raise Http404
    return listing


def _certification_payload(listing):
    link = selectors.listing_certification(listing)
    problems = [str(reason) for reason in remanufactured_listing_rule(listing)]
    return {
        "listing": listing.pk,
        "certificate": CertificateSerializer(link.certificate).data if link else None,
        "warranty": WarrantySerializer(link).data if link else None,
        "unit_codes": list(listing.remanufactured_units.order_by("id").values_list("trace_code", flat=True)),
        "problems": problems,
    }


class ListingCertificationView(APIView):
    """The certificate, warranty and traced units of a remanufactured listing."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=ListingCertificationSerializer)
    def get(self, request, listing_id):
        return Response(_certification_payload(_listing_for(request, listing_id)))

    @extend_schema(request=ListingCertificationWriteSerializer, responses=ListingCertificationSerializer)
    def put(self, request, listing_id):
        """Link a valid certificate held by the selling remanufacturer, the warranty and the units (seller)."""
        listing = _listing_for(request, listing_id, manage=True)
        serializer = ListingCertificationWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.link_listing_certificate(listing, actor=request.user, **serializer.validated_data)
        return Response(_certification_payload(listing))


class ListingWarrantyView(APIView):
    """The warranty a remanufactured listing offers buyers."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: WarrantySerializer, 404: OpenApiResponse(description="No warranty")})
    def get(self, request, listing_id):
        listing = _listing_for(request, listing_id)
        link = selectors.listing_certification(listing)
        if link is None:
            raise NotFound(_("This listing offers no remanufacturing warranty."))
        return Response(WarrantySerializer(link).data)


ERASURE_STATUS_TEXT = {
    "missing": lambda: _("No data-erasure record yet."),
    "verified": lambda: _("Data erased, verified."),
    "self_declared": lambda: _("Factory reset declared by the seller (not verified)."),
    "failed": lambda: _("Data erasure could not be verified."),
}


def _erasure_payload(listing, user):
    record = selectors.current_erasure_record(listing)
    state = selectors.erasure_status(record)
    required = listing.category.requires_data_erasure
    reminder = ""
    if required and listing.organization_id is None:
        reminder = _(
            "Before you hand over a phone or computer, back up what you need, sign out of every account "
            "(including cloud and find-my-device), remove SIM and memory cards, then restore factory settings."
        )
    record_serializer = DataErasureRecordPrivateSerializer if can_manage(user, listing) else DataErasureRecordSerializer
    return {
        "required": required,
        "status": state,
        "status_display": ERASURE_STATUS_TEXT[state](),
        "reminder": reminder,
        "record": record_serializer(record).data if record else None,
    }


class ListingDataErasureView(APIView):
    """How personal data was erased from a used phone or computer; buyers see it without the operator."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=DataErasureSerializer)
    def get(self, request, listing_id):
        listing = _listing_for(request, listing_id)
        return Response(_erasure_payload(listing, request.user))

    @extend_schema(request=DataErasureWriteSerializer, responses={201: DataErasureSerializer})
    def post(self, request, listing_id):
        listing = _listing_for(request, listing_id, manage=True)
        serializer = DataErasureWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.record_data_erasure(listing, actor=request.user, **serializer.validated_data)
        return Response(_erasure_payload(listing, request.user), status=status.HTTP_201_CREATED)


def resolve_or_404(code):
    resolved = selectors.resolve_code(code)
    if resolved is None:
        raise NotFound(_("No certified unit or certificate has this code. Check it for typos."))
    return resolved


class VerifyView(APIView):
    """Public lookup of a trace code or certificate number: status, holder, issuer, validity, trace summary."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [VerifyThrottle]

    @extend_schema(responses={200: VerifyResultSerializer, 404: OpenApiResponse(description="Unknown code")})
    def get(self, request, code):
        kind, obj = resolve_or_404(code)
        return Response(verification(kind, obj, request))


class LabelView(PNGView):
    """A printable PNG label with the QR code of the unit's public verify page."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [VerifyThrottle]
    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY, 404: OpenApiResponse(description="Unknown code")})
    def get(self, request, code):
        normalized = codes.normalize_code(code)
        unit = None
        if codes.is_trace_code(normalized):
            unit = (
                RemanufacturedUnit.objects.select_related("manufacturer", "certificate")
                .filter(trace_code=normalized)
                .first()
            )
        if unit is None:
            raise NotFound(_("No unit has this trace code."))
        response = HttpResponse(labels.render_label(unit), content_type="image/png")
        response["Content-Disposition"] = f'inline; filename="{unit.trace_code}.png"'
        response["X-Label-Font"] = "cjk" if labels.font_is_cjk() else "fallback"
        return response

