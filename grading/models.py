"""Data-defined grading standards and the assessments made with them.

A standard (code + version, e.g. phone/1) has an ordered grade scale (rank 0 is best) and
criteria. Every answer to a criterion may cap the grade; the grade of an assessment is the
worst cap over all answers (grading.compute). Standards are data: a new one needs no code.
Once published, a version is immutable; a new version supersedes it.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketplace.i18n import localized


class StandardStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded")


class GradingStandard(models.Model):
    code = models.CharField(_("code"), max_length=32)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    description_zh = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    # The public standards this one follows, e.g. "GB/T 21667-2024; Back Market grading".
    source = models.TextField(_("source standards"), blank=True)
    status = models.CharField(max_length=16, choices=StandardStatus.choices, default=StandardStatus.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("grading standard")
        verbose_name_plural = _("grading standards")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="unique_standard_version")]

    def __str__(self):
        return self.label

    @property
    def label(self):
        """code/version as printed on every grade report, e.g. phone/1."""
        return f"{self.code}/{self.version}"

    @property
    def name(self):
        return localized(self, "name")


class GradeLevel(models.Model):
    """One grade of a standard's scale; rank 0 is the best. An unsellable level (X) blocks publishing."""

    standard = models.ForeignKey(GradingStandard, on_delete=models.CASCADE, related_name="levels")
    code = models.CharField(max_length=16)
    rank = models.PositiveSmallIntegerField()
    label_zh = models.CharField(max_length=60)
    label_en = models.CharField(max_length=60)
    description_zh = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    sellable = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("grade level")
        verbose_name_plural = _("grade levels")
        ordering = ["standard", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "code"], name="unique_level_code"),
            models.UniqueConstraint(fields=["standard", "rank"], name="unique_level_rank"),
        ]

    def __str__(self):
        return f"{self.standard.label} {self.code}"

    @property
    def label(self):
        return localized(self, "label")


class AnswerType(models.TextChoices):
    BOOLEAN = "boolean", _("Yes or no")
    CHOICE = "choice", _("One of a list")
    NUMBER = "number", _("A number")


class Axis(models.TextChoices):
    """Looks and function are graded separately where a scheme does so (CTIA)."""

    COSMETIC = "cosmetic", _("Looks")
    FUNCTIONAL = "functional", _("Function")
    COMPLIANCE = "compliance", _("Compliance")


class Criterion(models.Model):
    """A question of a standard. `rules` says which answer caps the grade at which level:

    boolean: {"true": {"cap": "C"}, "false": {}}                     (keys "true"/"false")
    choice:  {"options": [{"value": "crack", "label_zh": ..., "label_en": ..., "cap": "D"}, ...]}
    number:  {"unit": "%", "min": 0, "max": 100,
              "bands": [{"below": 80, "cap": "C"}, {"below": 85, "cap": "B"}]}   (first band that matches)
    Any rule may carry "flag": "ex_library" to flag the item for buyers, and a cap at an
    unsellable level blocks publishing with the criterion's question as the reason.
    """

    standard = models.ForeignKey(GradingStandard, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(max_length=48)
    position = models.PositiveSmallIntegerField(default=0)
    question_zh = models.CharField(max_length=200)
    question_en = models.CharField(max_length=200)
    help_zh = models.TextField(blank=True)
    help_en = models.TextField(blank=True)
    answer_type = models.CharField(max_length=16, choices=AnswerType.choices)
    axis = models.CharField(max_length=16, choices=Axis.choices, default=Axis.COSMETIC)
    rules = models.JSONField(default=dict)
    required = models.BooleanField(default=True)
    # Inspection-only criteria (e.g. a lab measurement) are not asked in a self-assessment.
    inspection_only = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["standard", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["standard", "key"], name="unique_criterion_key")]

    def __str__(self):
        return f"{self.standard.label}:{self.key}"

    @property
    def question(self):
        return localized(self, "question")


class AssessmentSource(models.TextChoices):
    SELF_DECLARED = "self_declared", _("Self-declared by the seller")
    INSPECTION = "inspection", _("Inspection by an agency")


class Assessment(models.Model):
    """Answers to a standard's criteria for one listing, and the grade the standard computed from them.

    The grade is never sent by the client. An assessment is immutable once made; a new one replaces
    it as the listing's current assessment of that source.
    """

    listing = models.ForeignKey("listings.Listing", on_delete=models.CASCADE, related_name="assessments")
    standard = models.ForeignKey(GradingStandard, on_delete=models.PROTECT, related_name="assessments")
    source = models.CharField(max_length=16, choices=AssessmentSource.choices)
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments")
    inspection_agency = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="inspections"
    )
    answers = models.JSONField(default=dict)
    grade = models.ForeignKey(GradeLevel, on_delete=models.PROTECT, related_name="+")
    # Per criterion: the cap it imposed (if any), so the report can show why the grade is what it is.
    caps = models.JSONField(default=dict)
    cosmetic_grade = models.CharField(max_length=16, blank=True)
    functional_grade = models.CharField(max_length=16, blank=True)
    flags = models.JSONField(default=list, blank=True)
    blockers = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True, max_length=4000)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["listing", "source", "is_current"])]

    def __str__(self):
        return f"{self.source} {self.grade.code} for listing {self.listing_id}"


def evidence_upload_to(instance, filename):
    return f"assessments/{instance.assessment_id}/{filename}"


class AssessmentEvidence(models.Model):
    """A photo that backs an answer (a crack, the battery health screen, a stamp)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    criterion_key = models.SlugField(max_length=48, blank=True)
    image = models.ImageField(upload_to=evidence_upload_to)
    thumbnail = models.ImageField(upload_to=evidence_upload_to, blank=True)
    caption = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("assessment evidence")
        verbose_name_plural = _("assessment evidence")
        ordering = ["id"]

    def __str__(self):
        return f"evidence {self.pk} for assessment {self.assessment_id}"
