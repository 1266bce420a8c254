"""Shapes of the certification API: field validation only, the rules live in services."""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.models import Organization
from certification import codes
from certification.models import (
    Certificate,
    CertificateDocument,
    CertificateEvent,
    CertificateStatus,
    CertificateType,
    DataErasureRecord,
    ErasureMethod,
    RemanufacturedUnit,
    TraceEvent,
    TraceEventKind,
    VerificationResult,
)
from listings.models import Category

# --- shared pieces ----------------------------------------------------------------------------



class OrganizationRefSerializer(serializers.Serializer):
    """The public face of an organization: no contacts, no credit code."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    city = serializers.CharField()


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, obj) -> str:
        return obj.name


class CertificateSerializer(serializers.ModelSerializer):
    """A certificate as anyone allowed to see it sees it (the public part; no documents, no history)."""

    issuer = OrganizationRefSerializer(read_only=True)
    holder = OrganizationRefSerializer(read_only=True)
    categories = CategoryRefSerializer(many=True, read_only=True)
    status = serializers.SerializerMethodField()
    status_display = serializers.SerializerMethodField()
    scope = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "id", "number", "type", "status", "status_display", "issuer", "holder", "categories", "brand",
            "model_range", "standard", "scope", "scope_zh", "scope_en", "issued_on", "valid_until",
        ]
        read_only_fields = fields

    def get_status(self, obj) -> str:
        return obj.effective_status

    def get_status_display(self, obj) -> str:
        return str(CertificateStatus(obj.effective_status).label)

    def get_scope(self, obj) -> str:
        return obj.scope


class CertificateIssueSerializer(serializers.Serializer):
    issuer = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    holder = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    type = serializers.ChoiceField(choices=CertificateType.choices, default=CertificateType.PRODUCT)
    categories = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), many=True, required=False)
    brand = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    model_range = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    standard = serializers.CharField(max_length=120)
    scope_zh = serializers.CharField(max_length=2000)
    scope_en = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    issued_on = serializers.DateField()
    valid_until = serializers.DateField()


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class RequiredReasonSerializer(serializers.Serializer):
    """Suspending and revoking need a reason: the holder and its sellers see it."""

    reason = serializers.CharField(max_length=1000)


class CertificateEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    # Plain strings in the schema: an enum named "from_status" would collide with accounts' one.
    from_status = serializers.CharField(read_only=True, help_text=_("valid, suspended, revoked, expired; empty when issued."))
    to_status = serializers.CharField(read_only=True, help_text=_("valid, suspended, revoked or expired."))

    class Meta:
        model = CertificateEvent
        fields = ["id", "from_status", "to_status", "reason", "actor", "created_at"]
        read_only_fields = fields

    def get_actor(self, obj) -> str | None:
        return obj.actor.public_name if obj.actor else None


class CertificateDocumentSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = CertificateDocument
        fields = ["id", "title", "kind", "size", "file", "url", "created_at"]
        read_only_fields = ["id", "kind", "size", "url", "created_at"]

    def get_url(self, obj) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(obj.file.url) if request else obj.file.url


# --- units and trace events -------------------------------------------------------------------


class UnitSerializer(serializers.ModelSerializer):
    """A unit as its remanufacturer sees it (includes the internal serial number)."""

    trace_code_display = serializers.SerializerMethodField()
    manufacturer = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    certificate = serializers.PrimaryKeyRelatedField(
        queryset=Certificate.objects.all(), required=False, allow_null=True
    )
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())

    class Meta:
        model = RemanufacturedUnit
        fields = [
            "id", "trace_code", "trace_code_display", "manufacturer", "certificate", "category", "product_name",
            "part_number", "batch", "remanufactured_on", "serial_number", "listing", "head_hash", "created_at",
        ]
        read_only_fields = ["id", "trace_code", "trace_code_display", "listing", "head_hash", "created_at"]

    def get_trace_code_display(self, obj) -> str:
        return codes.format_trace_code(obj.trace_code)


class PartSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    part_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    origin = serializers.ChoiceField(choices=[("new", _("New")), ("remanufactured", _("Remanufactured"))])


class EventData(serializers.Serializer):
    """Every event may carry a `public_summary`: the one free text shown on the public verify page."""

    public_summary = serializers.CharField(
        max_length=300, required=False, allow_blank=True,
        help_text=_("Shown publicly on the verify page: write it for buyers, never name customers or staff. "
                    "The other free texts of an event are internal."),
    )


class CoreIntakeData(EventData):
    source = serializers.CharField(max_length=200, help_text=_("Where the core came from, e.g. a licensed dismantler. Internal."))
    condition = serializers.CharField(max_length=500, help_text=_("Internal."))


class DisassemblyData(EventData):
    summary = serializers.CharField(max_length=500, required=False, allow_blank=True, default="", help_text=_("Internal."))


class CleaningData(EventData):
    method = serializers.CharField(max_length=200, help_text=_("Internal."))


class PartReplacementData(EventData):
    parts = PartSerializer(many=True, allow_empty=False)


class RepairData(EventData):
    description = serializers.CharField(max_length=500, help_text=_("Internal."))
    parts = PartSerializer(many=True, required=False, default=list)


class MeasurementsField(serializers.DictField):
    """Named measurements: numbers or short texts, e.g. {"pressure_bar": 2.4, "leak": "none"}."""

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if len(values) > 50:
            raise serializers.ValidationError(_("At most 50 measurements."))
        for key, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int | float | str) or len(str(value)) > 100:
                raise serializers.ValidationError(_("Measurement %(name)s must be a number or a short text.") % {"name": key})
        return values


class FinalTestData(EventData):
    result = serializers.ChoiceField(choices=[("pass", _("Pass")), ("fail", _("Fail"))])
    measurements = MeasurementsField(required=False, default=dict)
    standard = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class WarrantyStartData(EventData):
    months = serializers.IntegerField(min_value=1, max_value=120)


class SaleData(EventData):
    # Never the buyer: the public chain must not name customers.
    channel = serializers.ChoiceField(choices=[("marketplace", _("Marketplace")), ("offline", _("Offline"))])


EVENT_DATA_SERIALIZERS = {
    TraceEventKind.CORE_INTAKE: CoreIntakeData,
    TraceEventKind.DISASSEMBLY: DisassemblyData,
    TraceEventKind.CLEANING: CleaningData,
    TraceEventKind.PART_REPLACEMENT: PartReplacementData,
    TraceEventKind.REPAIR: RepairData,
    TraceEventKind.FINAL_TEST: FinalTestData,
    TraceEventKind.WARRANTY_START: WarrantyStartData,
    TraceEventKind.SALE: SaleData,
}


# One component name for reading and appending (TraceEvent / TraceEventRequest), so the schema
# names the event kinds once.
@extend_schema_serializer(component_name="TraceEvent")
class TraceEventWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TraceEventKind.choices)
    occurred_at = serializers.DateTimeField()
    data = serializers.DictField(
        help_text=_(
            "Depends on kind: core_intake {source, condition}; disassembly {summary}; cleaning {method}; "
            "part_replacement {parts: [{name, part_number, origin}]}; repair {description, parts}; "
            "final_test {result: pass|fail, measurements, standard}; warranty_start {months}; sale {channel}; "
            "each may add public_summary. The public verify output shows only structured facts (part lists, "
            "test result, measurements, standard, months, channel) and public_summary, never the other texts."
        )
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                 help_text=_("Internal note, never shown publicly."))

    def validate(self, attrs):
        data_serializer = EVENT_DATA_SERIALIZERS[attrs["kind"]](data=attrs["data"])
        if not data_serializer.is_valid():
            raise serializers.ValidationError({"data": data_serializer.errors})
        # Unknown keys are dropped: only the documented facts enter the public chain.
        attrs["data"] = data_serializer.validated_data
        return attrs


class TraceEventSerializer(serializers.ModelSerializer):
    """An event as the remanufacturer sees it (with the internal note and the operator)."""

    operator = serializers.SerializerMethodField()

    class Meta:
        model = TraceEvent
        fields = ["sequence", "kind", "occurred_at", "data", "note", "operator", "recorded_at", "prev_hash", "hash"]
        read_only_fields = fields

    def get_operator(self, obj) -> str:
        return obj.operator.public_name


class ChainReportSerializer(serializers.Serializer):
    trace_code = serializers.CharField()
    ok = serializers.BooleanField()
    length = serializers.IntegerField()
    first_bad_event = serializers.IntegerField(allow_null=True)
    head_hash = serializers.CharField()


# --- listings ---------------------------------------------------------------------------------


class WarrantySerializer(serializers.Serializer):
    months = serializers.IntegerField(source="warranty_months")
    coverage = serializers.CharField()
    coverage_zh = serializers.CharField()
    coverage_en = serializers.CharField()
    certificate_number = serializers.CharField(source="certificate.number")


class ListingCertificationWriteSerializer(serializers.Serializer):
    certificate = serializers.PrimaryKeyRelatedField(queryset=Certificate.objects.all())
    warranty_months = serializers.IntegerField(min_value=1, max_value=120)
    coverage_zh = serializers.CharField(max_length=2000)
    coverage_en = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    unit_codes = serializers.ListField(child=serializers.CharField(max_length=20), max_length=500, default=list)


class ListingCertificationSerializer(serializers.Serializer):
    listing = serializers.IntegerField()
    certificate = CertificateSerializer(allow_null=True)
    warranty = WarrantySerializer(allow_null=True)
    unit_codes = serializers.ListField(child=serializers.CharField())
    problems = serializers.ListField(child=serializers.CharField(), help_text=_("Why it may not be published now."))


class DataErasureWriteSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=ErasureMethod.choices)
    tool = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    tool_version = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    operator_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    performed_on = serializers.DateField()
    verification_method = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    verification_result = serializers.ChoiceField(choices=VerificationResult.choices, required=False, allow_blank=True,
                                                  default="")
    device_serial_last4 = serializers.RegexField(r"^[0-9A-Za-z]{4}$", help_text=_("Last 4 characters of the serial or IMEI."))


class DataErasureRecordSerializer(serializers.ModelSerializer):
    """The record as buyers see it: how and when, never who."""

    class Meta:
        model = DataErasureRecord
        fields = ["method", "tool", "tool_version", "performed_on", "verification_method", "verification_result",
                  "device_serial_last4", "self_declared", "created_at"]
        read_only_fields = fields


class DataErasureRecordPrivateSerializer(DataErasureRecordSerializer):
    class Meta(DataErasureRecordSerializer.Meta):
        fields = [*DataErasureRecordSerializer.Meta.fields, "operator_name"]
        read_only_fields = fields


class DataErasureSerializer(serializers.Serializer):
    required = serializers.BooleanField(help_text=_("Whether the category needs a record (phones, computers)."))
    status = serializers.ChoiceField(choices=["missing", "verified", "self_declared", "failed"])
    status_display = serializers.CharField()
    reminder = serializers.CharField(allow_blank=True)
    record = DataErasureRecordPrivateSerializer(allow_null=True)


# --- public verification ----------------------------------------------------------------------


class PublicOrganizationSerializer(serializers.Serializer):
    name = serializers.CharField()
    city = serializers.CharField()


class PublicCertificateSerializer(serializers.Serializer):
    number = serializers.CharField()
    type = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField()
    issuer = PublicOrganizationSerializer()
    holder = PublicOrganizationSerializer()
    categories = serializers.ListField(child=serializers.CharField())
    brand = serializers.CharField()
    model_range = serializers.CharField()
    standard = serializers.CharField()
    scope = serializers.CharField()
    issued_on = serializers.DateField()
    valid_until = serializers.DateField()


class PublicPartSerializer(serializers.Serializer):
    name = serializers.CharField()
    part_number = serializers.CharField()
    origin = serializers.CharField()


class PublicEventDataSerializer(serializers.Serializer):
    """Only the structured facts of the event's kind, and the remanufacturer's public summary."""

    parts = PublicPartSerializer(many=True, required=False, help_text=_("Parts fitted (part replacement and repair events)."))
    result = serializers.CharField(required=False, help_text=_("Final test result: pass or fail."))
    measurements = serializers.DictField(required=False, help_text=_("Final test measurements."))
    standard = serializers.CharField(required=False, help_text=_("Standard the final test followed."))
    months = serializers.IntegerField(required=False, help_text=_("Warranty months (warranty start)."))
    channel = serializers.CharField(required=False, help_text=_("Sales channel (sale)."))
    public_summary = serializers.CharField(required=False, help_text=_("Written by the remanufacturer for the public."))


class PublicTraceEventSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    kind = serializers.CharField()
    kind_display = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    data = PublicEventDataSerializer()


class PublicChainSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    length = serializers.IntegerField()
    first_bad_event = serializers.IntegerField(allow_null=True)


class PublicUnitSerializer(serializers.Serializer):
    trace_code = serializers.CharField()
    trace_code_display = serializers.CharField()
    product_name = serializers.CharField()
    part_number = serializers.CharField()
    batch = serializers.CharField()
    remanufactured_on = serializers.DateField()
    remanufacturer = PublicOrganizationSerializer()
    chain = PublicChainSerializer()
    events = PublicTraceEventSerializer(many=True)


class PublicWarrantySerializer(serializers.Serializer):
    months = serializers.IntegerField()
    coverage = serializers.CharField()
    valid = serializers.BooleanField(help_text=_("Only while the certificate is valid."))
    status = serializers.ChoiceField(choices=["valid", "suspended", "void", "not_valid"])
    status_display = serializers.CharField()


class VerdictSerializer(serializers.Serializer):
    valid = serializers.BooleanField(help_text=_("A valid certificate covers the code and its trace record is intact."))
    level = serializers.ChoiceField(choices=["ok", "warn", "bad"])
    reason = serializers.ChoiceField(choices=["certificate_valid", "certificate_suspended", "certificate_revoked",
                                              "certificate_expired", "not_certified", "trace_altered"])
    message = serializers.CharField()


class VerifyResultSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=["unit", "certificate"])
    verdict = VerdictSerializer()
    certificate = PublicCertificateSerializer(allow_null=True)
    unit = PublicUnitSerializer(allow_null=True)
    warranty = PublicWarrantySerializer(allow_null=True)
    page_url = serializers.CharField()
    label_url = serializers.CharField(allow_null=True)

