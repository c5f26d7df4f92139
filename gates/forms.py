"""Forms of the gate engine's pages. They parse and shape input only; every
rule about state (what is missing, who may act, comments required for a
rejection) lives in the services, whose refusals the views show in place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.choices import ModelChoiceField, ModelMultipleChoiceField, choices_of
from core.widgets import LongSelect, LongSelectMultiple
from gates.models import (
    ApprovalDecision,
    Artifact,
    ArtifactType,
    AssessmentStatus,
    Decision,
    DecommissioningStatus,
    DecommissioningStep,
    ExitKind,
    ExitReason,
    GateApproverRole,
    ProposedCondition,
    ReviewCriterion,
)
from usecases.people import PeopleField, PeoplePicker, PersonField, person_label

User = get_user_model()

MAX_FILES_PER_UPLOAD = 20


class PersonChoiceField(ModelChoiceField):
    widget = LongSelect

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class PeopleChoiceField(ModelMultipleChoiceField):
    widget = LongSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class ArtifactTypeChoiceField(ModelChoiceField):
    def label_from_instance(self, obj: ArtifactType) -> str:
        return f"{obj.template.label}: {obj.name}"


class ArtifactChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj: Artifact) -> str:
        return f"{obj.artifact_type.name} v{obj.version} ({obj.original_name})"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.Field):
    """One or several files. Each file is checked by the upload service on its
    own, so one bad file is reported next to its name and the others are
    still stored; the form only insists there is at least one."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(**kwargs)

    def to_python(self, data: Any) -> list:
        if not data:
            return []
        return list(data) if isinstance(data, list | tuple) else [data]

    def validate(self, value: list) -> None:
        if not value:
            raise ValidationError("Choose one or more files.", code="required")
        if len(value) > MAX_FILES_PER_UPLOAD:
            raise ValidationError(
                f"Upload at most {MAX_FILES_PER_UPLOAD} files at a time.", code="too_many"
            )


class ArtifactUploadForm(forms.Form):
    artifact_type = ArtifactTypeChoiceField(
        queryset=ArtifactType.objects.none(), empty_label=_("Choose the artifact type…")
    )
    files = MultipleFileField(label=_("Files"))
    note = forms.CharField(
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What changed in this version, or where the evidence comes from."),
    )

    def __init__(self, *args: Any, artifact_types: QuerySet[ArtifactType], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["artifact_type"].queryset = artifact_types


class OpenReviewForm(forms.Form):
    """The planned gate date (optional), then one optional people field per
    approver role of the next gate; an empty field means "resolve from the
    roles people hold"."""

    planned_date = forms.DateField(
        label=_("Planned gate date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day of the gate meeting, if known: past it, the review shows as late."),
    )

    def __init__(
        self,
        *args: Any,
        roles: list[GateApproverRole],
        candidates: QuerySet,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for role in roles:
            self.fields[f"role_{role.role}"] = PeopleField(
                queryset=candidates,
                required=False,
                label=role.get_role_display(),
                help_text=_("Leave empty to name whoever holds this role."),
                widget=PeoplePicker(attrs={"size": 4}),
            )

    def approvers(self) -> dict[str, list]:
        named: dict[str, list] = {}
        for name, value in self.cleaned_data.items():
            if name.startswith("role_") and value:
                named[name.removeprefix("role_")] = list(value)
        return named


class ReviewScheduleForm(forms.Form):
    planned_date = forms.DateField(
        label=_("Planned gate date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why the date is set or moves, for the audit trail."),
    )


class ResumeForm(forms.Form):
    note = forms.CharField(max_length=2000, required=False, label=_("Why it resumes"))


class CriterionAssessForm(forms.Form):
    # No status is chosen for the team: an unassessed criterion starts empty.
    status = forms.ChoiceField(
        choices=[("", "Choose an assessment")]
        + [c for c in AssessmentStatus.choices if c[0] != AssessmentStatus.PENDING],
        error_messages={"required": "Choose an assessment."},
    )
    evidence = forms.CharField(
        max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    artifacts = ArtifactChoiceField(
        queryset=Artifact.objects.none(),
        required=False,
        label=_("Linked artifacts"),
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )

    def __init__(
        self, *args: Any, artifacts: QuerySet[Artifact], scorecard: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["artifacts"].queryset = artifacts
        self.scorecard = scorecard
        if scorecard is not None:
            # The use case's latest PoC scorecard (readiness), citable as evidence.
            self.fields["cite_scorecard"] = forms.BooleanField(
                required=False, label=f"Cite the {scorecard.label}", label_suffix=""
            )


class ApprovalForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[c for c in ApprovalDecision.choices if c[0] != ApprovalDecision.PENDING],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you reject."),
    )
    return_for_rework = forms.BooleanField(
        required=False,
        label=_("Also return the review to the team for rework"),
        help_text=_("With “Reject” only: your comment is the reason the team reads."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("return_for_rework") and data.get("decision") != ApprovalDecision.REJECT:
            self.add_error(
                "return_for_rework", "A review is returned for rework only with a rejection."
            )
        return data


class ReviewReturnForm(forms.Form):
    reason = forms.CharField(
        max_length=5000,
        label=_("Why it goes back to the team"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What to rework before it is submitted again. The team is notified; "
            "the approvers' votes are cleared and kept in the audit trail."
        ),
    )


class ApproverReassignForm(forms.Form):
    """The chair gives a seat to someone else; the service checks the new
    seating against the rules of segregation of duties."""

    user = PersonField(
        queryset=User.objects.none(), label=_("Give the seat to"), empty_label=_("Choose a person…")
    )
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit trail. The seat's vote starts again from pending."),
    )

    def __init__(self, *args: Any, candidates: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates


class DelegationForm(forms.Form):
    delegate = PersonField(
        queryset=User.objects.none(),
        label=_("Who decides for you"),
        empty_label=_("Choose a person…"),
    )
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("Until (inclusive)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why, for the audit trail: leave, travel, a conflict of interest."),
    )

    def __init__(self, *args: Any, candidates: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["delegate"].queryset = candidates


class ProposalChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        criterion = f" (answers “{obj.criterion.name}”)" if obj.criterion_id else ""
        return (
            f"{obj.description}{criterion}: owner {person_label(obj.owner)}, due "
            f"{obj.due_date:%d %b %Y}; proposed by {person_label(obj.proposed_by)}"
        )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for Hold, Recycle and Kill."),
    )
    adopt = ProposalChoiceField(
        queryset=ProposedCondition.objects.none(),
        required=False,
        label=_("Adopt conditions the approvers proposed"),
        help_text=_("Conditional Go only: each adopted proposal becomes a tracked condition."),
        widget=forms.CheckboxSelectMultiple,
    )
    exit_reason = forms.ChoiceField(
        choices=[],
        required=False,
        label=_("Exit reason"),
        help_text=_("Kill only: why the use case ends."),
    )
    lessons_learned = forms.CharField(
        max_length=5000,
        required=False,
        label=_("Lessons learned"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kill only: what the portfolio should learn from it, in a few lines."),
    )
    meeting_date = forms.DateField(
        label=_("Gate meeting date"),
        required=False,
        help_text=_("Today when left empty."),
        # A date input takes ISO dates only, whatever the locale.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    attendees = PeopleChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=_("Attendees"),
        help_text=_("You are recorded as present."),
        widget=forms.CheckboxSelectMultiple,
    )
    guests = forms.CharField(
        max_length=500,
        required=False,
        label=_("Other attendees"),
        help_text=_("People without an account, comma-separated."),
    )
    minutes = forms.CharField(
        max_length=20000,
        required=False,
        label=_("Minutes"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(
        self,
        *args: Any,
        attendees: QuerySet,
        proposals: Sequence[Any] = (),
        recertification: bool = False,
        steps: Sequence[DecommissioningStep] = (),
        exit_reasons: Sequence[ExitReason] = (),
        owner_choices: list | None = None,
        **kwargs: Any,
    ) -> None:
        """``recertification``: Retire is offered instead of Kill, with a
        row of the decommissioning checklist per step in ``steps``.
        ``exit_reasons``: the active reasons; the select offers those that
        apply to the ending decision on offer (Kill, or Retire).
        ``owner_choices``: the condition owners' choices a formset of the page
        has read from the same people as ``attendees``, offered as they are
        (less the empty choice) instead of reading them again."""
        super().__init__(*args, **kwargs)
        self.recertification = recertification
        left_out = Decision.KILL if recertification else Decision.RETIRE
        self.ending = Decision.RETIRE if recertification else Decision.KILL
        self.fields["decision"].choices = [c for c in Decision.choices if c[0] != left_out]
        self.fields["exit_reason"].choices = [
            ("", "---------"),
            *(
                (reason.code, reason.label)
                for reason in exit_reasons
                if reason.applies_to in (self.ending, ExitKind.BOTH)
            ),
        ]
        if recertification:
            self.fields["rationale"].help_text = "Required for Hold, Recycle and Retire."
            self.fields["exit_reason"].help_text = "Retire only: why the use case ends."
            self.fields[
                "lessons_learned"
            ].help_text = "Retire only: what the portfolio should learn from it, in a few lines."
        self.steps = list(steps) if recertification else []
        for step in self.steps:
            self.fields[f"step-{step.pk}"] = forms.ChoiceField(
                choices=DecommissioningStatus.choices,
                required=False,
                label=step.text,
                widget=forms.RadioSelect,
            )
            self.fields[f"step-{step.pk}-note"] = forms.CharField(
                max_length=1000,
                required=False,
                label=_("Note"),
                help_text=_("Why it does not apply (required for “Not applicable”)."),
            )
        self.fields["attendees"].queryset = attendees
        if owner_choices is not None:
            self.fields["attendees"].choices = [c for c in owner_choices if c[0] != ""]
        if proposals:
            self.fields["adopt"].queryset = ProposedCondition.objects.filter(
                pk__in=[p.pk for p in proposals]
            )
            # Label from the proposals already read, not a query per row.
            self.fields["adopt"].choices = [
                (p.pk, self.fields["adopt"].label_from_instance(p)) for p in proposals
            ]
        else:
            del self.fields["adopt"]

    @property
    def decommissioning_rows(self) -> list[tuple[DecommissioningStep, Any, Any]]:
        """Each step with its status and note fields, for the template."""
        return [
            (step, self[f"step-{step.pk}"], self[f"step-{step.pk}-note"]) for step in self.steps
        ]

    def exit(self) -> tuple[str, str]:
        """The exit reason's code and the lessons, with Kill or Retire only
        (ignored with any other decision, like the checklist); left blank
        for the service to refuse."""
        if self.cleaned_data.get("decision") != self.ending:
            return "", ""
        return self.cleaned_data.get("exit_reason") or "", self.cleaned_data.get(
            "lessons_learned"
        ) or ""

    def decommissioning(self) -> list[dict[str, Any]]:
        """The checklist as answered, with Retire only (the rows are ignored
        with any other decision); rows left blank are left for the service
        to refuse by name."""
        if self.cleaned_data.get("decision") != Decision.RETIRE:
            return []
        answers = []
        for step in self.steps:
            status = self.cleaned_data.get(f"step-{step.pk}") or ""
            note = self.cleaned_data.get(f"step-{step.pk}-note") or ""
            if status or note:
                answers.append({"step": step.pk, "status": status, "note": note})
        return answers


class ConditionForm(forms.Form):
    description = forms.CharField(
        max_length=2000, required=False, widget=forms.TextInput(attrs={"placeholder": "What"})
    )
    owner = PersonChoiceField(queryset=User.objects.none(), required=False, empty_label=_("Owner…"))
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    criterion = ModelChoiceField(
        queryset=ReviewCriterion.objects.none(),
        required=False,
        empty_label=_("No criterion"),
        label=_("Answers criterion"),
    )

    def __init__(
        self, *args: Any, owners: QuerySet, criteria: QuerySet | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        if criteria is not None:
            self.fields["criterion"].queryset = criteria

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("description") or data.get("owner") or data.get("due_date"))


class BaseConditionFormSet(forms.BaseFormSet):
    def __init__(
        self,
        *args: Any,
        choices: dict[str, list] | None = None,
        criteria: list[ReviewCriterion] | None = None,
        **kwargs: Any,
    ) -> None:
        """``choices``: the owner and criterion choices another condition
        formset of the same review has read (its ``choices``), used instead
        of reading them again; ``criteria``: the review's criteria, as the
        page has read them, for the criterion choices."""
        super().__init__(*args, **kwargs)
        # Every row offers the same owners: read them once, not once per row
        # (a ModelChoiceField queries each time it renders).
        self.choices = choices
        if self.forms:
            if self.choices is None:
                first = self.forms[0].fields
                self.choices = {
                    "owner": list(first["owner"].choices),
                    "criterion": (
                        choices_of(first["criterion"], criteria)
                        if criteria is not None
                        else list(first["criterion"].choices)
                    ),
                }
            for form in self.forms:
                form.fields["owner"].choices = self.choices["owner"]
                form.fields["criterion"].choices = self.choices["criterion"]

    def conditions(self) -> list[dict[str, Any]]:
        """The filled-in rows; incomplete ones are left for the service to
        refuse with the row's number."""
        return [
            {
                "description": form.cleaned_data.get("description", ""),
                "owner": form.cleaned_data.get("owner"),
                "due_date": form.cleaned_data.get("due_date"),
                "criterion": form.cleaned_data.get("criterion"),
            }
            for form in self.forms
            if form.cleaned_data and not form.is_blank()
        ]


ConditionFormSet = forms.formset_factory(
    ConditionForm, formset=BaseConditionFormSet, extra=3, max_num=20, absolute_max=20
)
# The conditions an approver proposes with "approve with conditions".
ProposalFormSet = forms.formset_factory(
    ConditionForm, formset=BaseConditionFormSet, extra=2, max_num=20, absolute_max=20
)


class ConditionCloseForm(forms.Form):
    note = forms.CharField(
        max_length=2000,
        label=_("How it was met"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
