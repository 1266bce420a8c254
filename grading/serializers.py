"""Shapes of the grading API. Bilingual data is given in the request language and in both languages."""
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from grading.compute import localized_rule
from grading.models import (
    AnswerType,
    Assessment,
    AssessmentEvidence,
    AssessmentSource,
    Axis,
    Criterion,
    GradeLevel,
    GradingStandard,
    StandardStatus,
)

# Computed by the standard, never taken from the client.
SERVER_COMPUTED_FIELDS = ("grade", "grade_code", "caps", "cosmetic_grade", "functional_grade", "blockers", "flags")


class GradeLevelSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)

    class Meta:
        model = GradeLevel
        fields = ["code", "rank", "label", "label_zh", "label_en", "description", "description_zh", "description_en",
                  "sellable"]
        read_only_fields = fields


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    label_zh = serializers.CharField()
    label_en = serializers.CharField()
    cap = serializers.CharField(allow_null=True)


class CriterionSerializer(serializers.ModelSerializer):
    question = serializers.CharField(read_only=True)
    help = serializers.CharField(read_only=True)
    answer_type = serializers.ChoiceField(choices=AnswerType.choices, read_only=True)
    axis = serializers.ChoiceField(choices=Axis.choices, read_only=True)
    choices = serializers.SerializerMethodField(help_text="For choice criteria: the options, in the request language.")
    unit = serializers.SerializerMethodField()
    min = serializers.SerializerMethodField()
    max = serializers.SerializerMethodField()

    class Meta:
        model = Criterion
        fields = ["key", "position", "question", "question_zh", "question_en", "help", "help_zh", "help_en",
                  "answer_type", "axis", "required", "inspection_only", "choices", "unit", "min", "max", "rules"]
        read_only_fields = fields

    @extend_schema_field(ChoiceSerializer(many=True))
    def get_choices(self, criterion):
        if criterion.answer_type != AnswerType.CHOICE:
            return []
        return [
            {"value": option["value"], "label": localized_rule(option, "label"), "label_zh": option["label_zh"],
             "label_en": option["label_en"], "cap": option.get("cap")}
            for option in criterion.rules.get("options", [])
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_unit(self, criterion):
        return criterion.rules.get("unit", "") if criterion.answer_type == AnswerType.NUMBER else ""

    @extend_schema_field({"type": "number", "nullable": True})
    def get_min(self, criterion):
        return criterion.rules.get("min") if criterion.answer_type == AnswerType.NUMBER else None

    @extend_schema_field({"type": "number", "nullable": True})
    def get_max(self, criterion):
        return criterion.rules.get("max") if criterion.answer_type == AnswerType.NUMBER else None


class StandardSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True, help_text="code/version, e.g. phone/1")
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=StandardStatus.choices, read_only=True)
    superseded_by = serializers.SerializerMethodField(help_text="code/version of the version that replaced this one")
    levels = GradeLevelSerializer(many=True, read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True)

    class Meta:
        model = GradingStandard
        fields = ["id", "code", "version", "label", "name", "name_zh", "name_en", "description", "description_zh",
                  "description_en", "source", "status", "published_at", "superseded_by", "levels", "criteria"]
        read_only_fields = fields

    def get_superseded_by(self, standard) -> str | None:
        return standard.superseded_by.label if standard.superseded_by_id else None


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssessmentEvidence
        fields = ["id", "criterion_key", "caption", "image", "thumbnail", "created_at"]
        read_only_fields = fields


class AgencySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AssessmentSerializer(serializers.ModelSerializer):
    standard = serializers.CharField(source="standard.label", read_only=True)
    grade = serializers.CharField(source="grade.code", read_only=True)
    grade_label = serializers.CharField(source="grade.label", read_only=True)
    sellable = serializers.SerializerMethodField()
    assessor = serializers.CharField(source="assessor.public_name", read_only=True)
    inspection_agency = AgencySerializer(read_only=True, allow_null=True)
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = Assessment
        fields = ["id", "listing", "source", "standard", "grade", "grade_label", "cosmetic_grade", "functional_grade",
                  "caps", "flags", "sellable", "answers", "notes", "is_current", "assessor", "inspection_agency",
                  "evidence", "created_at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_sellable(self, assessment):
        return not assessment.blockers


class AssessmentCreateSerializer(serializers.Serializer):
    """Answers to the criteria of the category's standard. The grade is computed, never sent."""

    source = serializers.ChoiceField(choices=AssessmentSource.choices, default=AssessmentSource.SELF_DECLARED)
    agency = serializers.IntegerField(required=False, min_value=1,
                                      help_text="Id of the inspection agency (only with source=inspection).")
    answers = serializers.DictField(child=serializers.JSONField(), allow_empty=True,
                                    help_text="criterion key -> true/false, a choice value, or a number")
    notes = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")

    def to_internal_value(self, data):
        sent = sorted(name for name in SERVER_COMPUTED_FIELDS if hasattr(data, "keys") and name in data)
        if sent:
            raise serializers.ValidationError(
                {name: [_("The grade is computed from the answers by the standard; do not send it.")] for name in sent}
            )
        return super().to_internal_value(data)

    def validate(self, attrs):
        if attrs["source"] == AssessmentSource.INSPECTION and not attrs.get("agency"):
            raise serializers.ValidationError({"agency": [_("Name the inspection agency you inspect for.")]})
        if attrs["source"] == AssessmentSource.SELF_DECLARED and attrs.get("agency"):
            raise serializers.ValidationError({"agency": [_("Only an inspection names an agency.")]})
        return attrs


class EvidenceCreateSerializer(serializers.Serializer):
    image = serializers.ImageField(help_text="JPEG, PNG or WebP; metadata is removed.")
    criterion_key = serializers.SlugField(required=False, allow_blank=True, max_length=48, default="")
    caption = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


# The grade report: documented shapes of grading.selectors.grade_report().

class ReportLevelSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    label_zh = serializers.CharField()
    label_en = serializers.CharField()
    description = serializers.CharField()
    sellable = serializers.BooleanField()


class ReportPhotoSerializer(serializers.Serializer):
    url = serializers.CharField()
    thumbnail_url = serializers.CharField(allow_null=True)
    caption = serializers.CharField()


class ReportFlagSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class ReportCriterionSerializer(serializers.Serializer):
    key = serializers.CharField()
    question = serializers.CharField()
    axis = serializers.CharField()
    answer = serializers.JSONField(allow_null=True)
    answer_text = serializers.CharField(help_text="The answer in words: choice label, yes/no, number and unit.")
    cap = ReportLevelSerializer(allow_null=True, help_text="The grade this answer capped the item at, if any.")
    evidence = ReportPhotoSerializer(many=True)


class ReportAssessmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.ChoiceField(choices=AssessmentSource.choices)
    standard = serializers.CharField()
    grade = ReportLevelSerializer()
    cosmetic_grade = ReportLevelSerializer(allow_null=True)
    functional_grade = ReportLevelSerializer(allow_null=True)
    sellable = serializers.BooleanField()
    blockers = serializers.ListField(child=serializers.CharField())
    flags = ReportFlagSerializer(many=True)
    criteria = ReportCriterionSerializer(many=True)
    general_evidence = ReportPhotoSerializer(many=True)
    notes = serializers.CharField()
    inspection_agency = AgencySerializer(allow_null=True)
    assessed_at = serializers.DateTimeField()


class ReportStandardSerializer(serializers.Serializer):
    code = serializers.CharField()
    version = serializers.IntegerField()
    label = serializers.CharField()
    name = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    source = serializers.CharField(help_text="The public standards this one follows.")
    status = serializers.CharField()


class ReportListingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    state = serializers.CharField()


class GradeReportSerializer(serializers.Serializer):
    listing = ReportListingSerializer()
    standard = ReportStandardSerializer(allow_null=True)
    grade = ReportLevelSerializer(allow_null=True)
    grade_source = serializers.ChoiceField(choices=AssessmentSource.choices, allow_null=True)
    declared = ReportAssessmentSerializer(allow_null=True)
    inspected = ReportAssessmentSerializer(allow_null=True)
    mismatch = serializers.BooleanField()
    flags = ReportFlagSerializer(many=True)
