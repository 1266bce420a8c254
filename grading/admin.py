"""Admin: standards are edited as drafts (levels and criteria inline), then published by an action.

A published or superseded standard is read-only here (and refused by the model and the database);
assessments are records and are read-only too.
"""
from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from grading import services
from grading.models import (
    Assessment,
    AssessmentEvidence,
    Criterion,
    GradeLevel,
    GradingStandard,
    StandardTransition,
)
from grading.validation import criterion_problems, standard_problems
from marketplace.admin import ReadOnlyAdmin
from marketplace.errors import DomainError


class FrozenWhenPublishedMixin:
    """Read-only once the standard (the object, or the inline's parent) is no longer a draft."""

    def _frozen(self, obj):
        standard = obj if isinstance(obj, GradingStandard) else getattr(obj, "standard", None)
        return standard is not None and standard.is_frozen

    def has_change_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


class CriterionForm(forms.ModelForm):
    class Meta:
        model = Criterion
        fields = ["key", "position", "question_zh", "question_en", "help_zh", "help_en", "answer_type", "axis", "rules",
                  "required", "inspection_only"]

    def clean(self):
        cleaned = super().clean()
        # The shape of the rules; caps are checked against the scale when the whole standard is saved.
        problems = criterion_problems(cleaned.get("key", ""), cleaned.get("answer_type"), cleaned.get("rules"))
        if problems:
            raise forms.ValidationError(problems)
        return cleaned


class InlineFrozenMixin(FrozenWhenPublishedMixin):
    def has_add_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_add_permission(request, obj)


class GradeLevelInline(InlineFrozenMixin, admin.TabularInline):
    model = GradeLevel
    extra = 0
    ordering = ["rank"]


class CriterionInline(InlineFrozenMixin, admin.StackedInline):
    model = Criterion
    form = CriterionForm
    extra = 0
    ordering = ["position", "id"]


class StandardTransitionInline(admin.TabularInline):
    model = StandardTransition
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(GradingStandard)
class GradingStandardAdmin(FrozenWhenPublishedMixin, admin.ModelAdmin):
    list_display = ["label", "name_zh", "name_en", "status", "published_at"]
    list_filter = ["status", "code"]
    search_fields = ["code", "name_zh", "name_en", "source"]
    readonly_fields = ["status", "published_at", "superseded_by"]
    inlines = [GradeLevelInline, CriterionInline, StandardTransitionInline]
    actions = ["publish"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for problem in standard_problems(form.instance):
            messages.warning(request, problem)

    @admin.action(description=_("Publish the selected drafts (supersedes the published version)"))
    def publish(self, request, queryset):
        published = 0
        for standard in queryset:
            try:
                services.publish_standard(standard, actor=request.user)
            except DomainError as exc:
                messages.error(request, f"{standard.label}: {exc.message}")
            else:
                published += 1
        if published:
            messages.success(request, ngettext("Published %(count)d standard.", "Published %(count)d standards.",
                                               published) % {"count": published})


class EvidenceInline(admin.TabularInline):
    model = AssessmentEvidence
    extra = 0
    can_delete = False
    readonly_fields = ["criterion_key", "image", "thumbnail", "caption", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "listing", "source", "standard", "grade", "is_current", "inspection_agency", "created_at"]
    list_filter = ["source", "is_current", "standard"]
    list_select_related = ["listing", "standard", "grade", "inspection_agency"]
    search_fields = ["listing__title", "inspection_agency__name"]
    inlines = [EvidenceInline]
