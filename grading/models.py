"""Data-defined grading standards and the assessments made with them.

A standard (code + version, e.g. phone/1) has an ordered grade scale (rank 0 is best) and
criteria. Every answer to a criterion may cap the grade; the grade of an assessment is the
worst cap over all answers (grading.compute). Standards are data: a new one needs no code.
Once published, a version is immutable; a new version supersedes it.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from marketplace.errors import Conflict
from marketplace.i18n import localized

# Once published, only these columns of a standard may change (publish_standard supersedes it).
STANDARD_MUTABLE_WHEN_FROZEN = {"status", "superseded_by"}


class FrozenStandard(Conflict):
    """A published (or superseded) standard, its levels and its criteria never change."""

    default_code = "standard_frozen"


def _frozen_error(standard_label):
    return FrozenStandard(
        _("Grading standard %(label)s is published and cannot change: create a new version instead.")
        % {"label": standard_label}
    )


class StandardStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded")


class GradingStandard(models.Model):
    code = models.CharField(_("code"), max_length=32)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    # The public standards this one follows, e.g. "GB/T 21667-2024; Back Market grading".
    source = models.TextField(_("source standards"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=StandardStatus.choices, default=StandardStatus.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # PROTECT: a superseded version must keep pointing at its successor (and both are immutable anyway).
    superseded_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("superseded by")
    )

    class Meta:
        verbose_name = _("grading standard")
        verbose_name_plural = _("grading standards")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="unique_standard_version"),
            # standard_for_category() picks "the" published version: there is never more than one.
            models.UniqueConstraint(
                fields=["code"], condition=Q(status="published"), name="one_published_version_per_code"
            ),
        ]

    def __str__(self):
        return self.label

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).first()
            if stored is not None and stored.is_frozen:
                changed = {
                    field.attname
                    for field in self._meta.concrete_fields
                    if getattr(stored, field.attname) != getattr(self, field.attname)
                }
                allowed = {self._meta.get_field(name).attname for name in STANDARD_MUTABLE_WHEN_FROZEN}
                if changed - allowed or (stored.status == StandardStatus.SUPERSEDED and changed):
                    raise _frozen_error(stored.label)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_frozen:
            raise _frozen_error(self.label)
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self):
        return self.status != StandardStatus.DRAFT

    @property
    def label(self):
        """code/version as printed on every grade report, e.g. phone/1."""
        return f"{self.code}/{self.version}"

    @property
    def name(self):
        return localized(self, "name")

    @property
    def description(self):
        return localized(self, "description")


class PartOfStandard(models.Model):
    """A level or criterion: it changes only while its standard is a draft."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._check_standard_is_draft()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_standard_is_draft()
        return super().delete(*args, **kwargs)

    def _check_standard_is_draft(self):
        standard = GradingStandard.objects.only("status", "code", "version").get(pk=self.standard_id)
        if standard.is_frozen:
            raise _frozen_error(standard.label)


class Condition(models.TextChoices):
    """A condition level common to every standard: each level of a scale says which one it means
    (GradeLevel.condition, from the standard's file), so buyers filter on one scale whatever
    standard graded the item (phone P and book AN are both like new)."""

    LIKE_NEW = "like_new", pgettext_lazy("condition level", "Like new")
    EXCELLENT = "excellent", pgettext_lazy("condition level", "Excellent")
    GOOD = "good", pgettext_lazy("condition level", "Good")
    FAIR = "fair", pgettext_lazy("condition level", "Fair")
    FOR_PARTS = "for_parts", pgettext_lazy("condition level", "For parts or repair")


class GradeLevel(PartOfStandard):
    """One grade of a standard's scale; rank 0 is the best. An unsellable level (X) blocks publishing."""

    standard = models.ForeignKey(GradingStandard, on_delete=models.CASCADE, related_name="levels")
    code = models.CharField(_("code"), max_length=16)
    rank = models.PositiveSmallIntegerField(_("rank (0 is best)"))
    label_zh = models.CharField(_("label (Chinese)"), max_length=60)
    label_en = models.CharField(_("label (English)"), max_length=60)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    sellable = models.BooleanField(_("sellable"), default=True)
    # The common condition level this grade means; empty (NULL) for a level that is not sellable.
    condition = models.CharField(_("condition level"), max_length=16, choices=Condition.choices, null=True,
                                 blank=True)

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

    @property
    def description(self):
        return localized(self, "description")


class AnswerType(models.TextChoices):
    BOOLEAN = "boolean", _("Yes or no")
    CHOICE = "choice", _("One of a list")
    NUMBER = "number", _("A number")


class Axis(models.TextChoices):
    """Looks and function are graded separately where a scheme does so (CTIA)."""

    COSMETIC = "cosmetic", _("Looks")
    FUNCTIONAL = "functional", _("Function")
    COMPLIANCE = "compliance", _("Compliance")


class Criterion(PartOfStandard):
    """A question of a standard. `rules` says which answer caps the grade at which level:

    boolean: {"true": {"cap": "C"}, "false": {}}                     (keys "true"/"false")
    choice:  {"options": [{"value": "crack", "label_zh": ..., "label_en": ..., "cap": "D"}, ...]}
    number:  {"unit": "%", "min": 0, "max": 100, "integer": true,
              "bands": [{"below": 80, "cap": "C"}, {"below": 85, "cap": "B"}]}   (first band that matches)
    An outcome (a boolean side, an option, a band) may also carry "flag": "ex_library" (with
    "flag_label_zh"/"flag_label_en") to flag the item for buyers, and "reason_zh"/"reason_en": the
    reason shown to the seller when its cap is an unsellable level (default: the question).
    grading.validation.validate_standard() checks all of this before a standard is published.
    """

    standard = models.ForeignKey(GradingStandard, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(_("key"), max_length=48)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    question_zh = models.CharField(_("question (Chinese)"), max_length=200)
    question_en = models.CharField(_("question (English)"), max_length=200)
    help_zh = models.TextField(_("help (Chinese)"), blank=True)
    help_en = models.TextField(_("help (English)"), blank=True)
    answer_type = models.CharField(_("answer type"), max_length=16, choices=AnswerType.choices)
    axis = models.CharField(_("axis"), max_length=16, choices=Axis.choices, default=Axis.COSMETIC)
    rules = models.JSONField(_("rules"), default=dict)
    required = models.BooleanField(_("required"), default=True)
    # Inspection-only criteria (e.g. a lab measurement) are not asked in a self-assessment.
    inspection_only = models.BooleanField(_("inspection only"), default=False)

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

    @property
    def help(self):
        return localized(self, "help")


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
    source = models.CharField(_("source"), max_length=16, choices=AssessmentSource.choices)
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
    # Keys of the criteria whose answer makes the item unsellable; the reasons are rendered from the
    # (immutable) standard in the reader's language, see grading.selectors.blocker_reasons.
    blockers = models.JSONField(default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=4000)
    is_current = models.BooleanField(_("current"), default=True)
    created_at = models.DateTimeField(_("assessed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["listing", "source", "is_current"])]
        constraints = [
            # A new assessment of a source replaces the current one: never two current ones.
            models.UniqueConstraint(
                fields=["listing", "source"], condition=Q(is_current=True), name="one_current_assessment_per_source"
            ),
            models.CheckConstraint(
                condition=Q(source="self_declared", inspection_agency__isnull=True)
                | Q(source="inspection", inspection_agency__isnull=False),
                name="inspection_has_agency",
            ),
        ]

    def __str__(self):
        return f"{self.source} {self.grade.code} for listing {self.listing_id}"

    def save(self, *args, **kwargs):
        # The record of what was assessed never changes; only replacing it (is_current) may.
        update_fields = kwargs.get("update_fields")
        if not self._state.adding and (update_fields is None or set(update_fields) - {"is_current"}):
            raise Conflict(_("An assessment cannot be changed; make a new one instead."), code="assessment_immutable")
        super().save(*args, **kwargs)


def evidence_upload_to(instance, filename):
    return f"assessments/{instance.assessment_id}/{filename}"


class StandardTransition(models.Model):
    """Audit of every status change of a standard: published, superseded."""

    standard = models.ForeignKey(GradingStandard, on_delete=models.CASCADE, related_name="transitions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    from_status = models.CharField(max_length=16, choices=StandardStatus.choices)
    to_status = models.CharField(max_length=16, choices=StandardStatus.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("standard transition")
        verbose_name_plural = _("standard transitions")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.standard_id}: {self.from_status} -> {self.to_status}"


class AssessmentEvidence(models.Model):
    """A photo that backs an answer (a crack, the battery health screen, a stamp)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    criterion_key = models.SlugField(_("criterion"), max_length=48, blank=True)
    image = models.ImageField(_("photo"), upload_to=evidence_upload_to)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=evidence_upload_to, blank=True)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("assessment evidence")
        verbose_name_plural = _("assessment evidence")
        ordering = ["id"]

    def __str__(self):
        return f"evidence {self.pk} for assessment {self.assessment_id}"
