"""Forms of the portfolio pages. They validate input only; the views hand the
cleaned data to the services, which make and audit the change."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput
from core.web import show_refusal
from usecases import access, custom_fields, risk
from usecases.models import (
    BusinessUnit,
    CustomField,
    CustomFieldKind,
    MemberRole,
    RegulatoryConstraint,
    RiskTier,
    Stage,
    UseCase,
)
from usecases.people import (
    PersonField,
    active_users,
)
from usecases.services import EDITABLE_FIELDS, clean_idempotency_key

User = get_user_model()


# The risk tier and the regulations are set by the risk classification (the
# questionnaire, decided by risk and compliance): the forms show them as facts.
RISK_CLASSIFIED_FIELDS = ("risk_tier", "regulatory_constraints")
FORM_FIELDS = [name for name in EDITABLE_FIELDS if name not in RISK_CLASSIFIED_FIELDS]


class UseCaseForm(forms.ModelForm):
    """The facts of a use case. Stage and status are not fields: they move only
    through gate decisions; risk tier and regulations only through the risk
    classification."""

    class Meta:
        model = UseCase
        fields = FORM_FIELDS
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "business_problem": forms.Textarea(attrs={"rows": 3}),
            "value_hypothesis": forms.Textarea(attrs={"rows": 3}),
            "assumptions": forms.Textarea(attrs={"rows": 3}),
            "success_metrics": forms.Textarea(attrs={"rows": 3}),
            "data_sources": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "title": _("Title"),
            "summary": _("Summary"),
            "business_problem": _("Business problem"),
            "value_hypothesis": _("Value hypothesis"),
            "quantified_outcome": _("Quantified outcome"),
            "assumptions": _("Assumptions"),
            "success_metrics": _("Success metrics"),
            "data_sources": _("Data sources"),
            "business_unit": _("Business unit"),
        }

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user is not None and not access.is_program_lead(user):
            # The units this person holds a role in (and the current one): a
            # program lead picks any.
            units = access.proposable_business_units(user)
            if self.instance.business_unit_id:
                units = units | BusinessUnit.objects.filter(pk=self.instance.business_unit_id)
            self.fields["business_unit"].queryset = units.order_by("name")
            self.fields["business_unit"].help_text = _(
                "The business units where you hold a role (head, member, or on a use "
                "case's team). A program lead proposes in any."
            )
        self.custom_fields = custom_fields.active_fields()
        values = self.instance.custom_values or {}
        stage = self.instance.stage or Stage.DISCOVERY
        # The people the person fields name, read together: each picker then
        # shows its person without reading them again.
        people = User.objects.in_bulk(
            [
                values[field.key]
                for field in self.custom_fields
                if field.kind == CustomFieldKind.PERSON and isinstance(values.get(field.key), int)
            ]
        )
        for field in self.custom_fields:
            form_field = custom_form_field(field, stage)
            form_field.initial = _initial(field, values.get(field.key), people)
            self.fields[custom_field_name(field)] = form_field

    def show_refusal(self, error: Any) -> None:
        """A service's refusal next to the field it names; the services name
        custom fields as the API does (``custom_fields.<key>``)."""
        field = getattr(error, "field", None) or ""
        if field.startswith("custom_fields."):
            error.field = "cf_" + field.split(".", 1)[1]
        show_refusal(self, error)

    def custom_bound_fields(self) -> list[Any]:
        return [self[custom_field_name(field)] for field in self.custom_fields]

    def standard_bound_fields(self) -> list[Any]:
        custom = {custom_field_name(field) for field in self.custom_fields}
        return [bound for bound in self.visible_fields() if bound.name not in custom]

    def changes(self) -> dict[str, Any]:
        """The editable fields with their cleaned values, for ``usecase_update``;
        the custom fields as ``custom_values`` (typed as the API sends them)."""
        changes = {name: self.cleaned_data[name] for name in FORM_FIELDS}
        if self.custom_fields:
            changes["custom_values"] = {
                field.key: _typed(field, self.cleaned_data.get(custom_field_name(field)))
                for field in self.custom_fields
            }
        return changes


def custom_field_name(field: CustomField) -> str:
    return f"cf_{field.key}"


def custom_form_field(field: CustomField, stage: str) -> forms.Field:
    """The widget of a custom field; never required by the form (a gate
    review asks for it), but marked when the use case's next gate needs it."""
    common: dict[str, Any] = {"label": field.label, "required": False}
    help_parts = [field.help_text] if field.help_text else []
    next_stage = Stage(stage).next if stage in Stage.values else None
    if field.required_from is not None:
        needed_now = field.required_for_target(stage) or (
            next_stage is not None and field.required_for_target(next_stage)
        )
        note = _(
            "Required from %(stage)s on: a gate review into %(stage)s cannot be "
            "submitted without it."
        ) % {"stage": field.required_from.label}
        help_parts.append(note)
        if needed_now:
            common["label"] = _("%(label)s (required)") % {"label": field.label}
    common["help_text"] = " ".join(help_parts)
    kind = field.kind
    if kind == CustomFieldKind.NUMBER:
        return forms.DecimalField(max_digits=21, decimal_places=6, **common)
    if kind == CustomFieldKind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == CustomFieldKind.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *((c, c) for c in field.choices)], **common)
    if kind == CustomFieldKind.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in field.choices], widget=forms.SelectMultiple, **common
        )
    if kind == CustomFieldKind.PERSON:
        return PersonField(queryset=active_users(), empty_label="—", **common)
    return forms.CharField(max_length=custom_fields.TEXT_MAX_LENGTH, **common)


def _initial(field: CustomField, value: Any, people: dict[int, Any]) -> Any:
    if value is None:
        return None
    if field.kind == CustomFieldKind.NUMBER:
        return custom_fields.format_value(field, value)
    if field.kind == CustomFieldKind.PERSON:
        return people.get(value, value)
    return value


def _typed(field: CustomField, value: Any) -> Any:
    """A form's cleaned value as the API sends it (the service validates it)."""
    if value in (None, "", []):
        return None
    if field.kind == CustomFieldKind.NUMBER:
        return int(value) if value == value.to_integral_value() else float(value)
    if field.kind == CustomFieldKind.DATE:
        return value.isoformat()
    if field.kind == CustomFieldKind.PERSON:
        return value.pk
    return value


class UseCaseCreateForm(UseCaseForm):
    """A new use case. Program leads may name its sponsor; everyone else becomes
    the sponsor of what they propose. The idempotency key is a random token
    given to the form when it is rendered: the same form sent twice (a double
    click) creates one use case."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, can_pick_sponsor: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].initial = secrets.token_urlsafe(24)
        if can_pick_sponsor:
            self.fields["sponsor"] = PersonField(
                queryset=active_users(),
                required=False,
                label=_("Sponsor"),
                empty_label=_("Me"),
                help_text=_("The business unit sponsor who owns the outcome."),
            )

    def clean_idempotency_key(self) -> str | None:
        try:
            return clean_idempotency_key(self.cleaned_data.get("idempotency_key"))
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from exc


class MemberAddForm(forms.Form):
    """Adding someone to the team: the person is found by a search
    (``usecases.people``), not chosen among everyone (6,016 people at
    100,000 use cases made the page twice as slow)."""

    user = PersonField(
        queryset=active_users(), label=_("Person"), empty_label=_("Search above, then choose")
    )
    role = forms.ChoiceField(choices=MemberRole.choices, label=_("Role"))


class ReclassifyForm(forms.Form):
    """The risk and compliance role's reclassification: the new risk tier and
    regulations, and why."""

    risk_tier = forms.ChoiceField(choices=RiskTier.choices, label=_("Risk tier"))
    regulatory_constraints = forms.MultipleChoiceField(
        choices=RegulatoryConstraint.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Regulatory constraints"),
    )
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Reason"),
        help_text=_("Recorded in the audit trail with the classification before and after."),
    )


class WithdrawForm(forms.Form):
    """Withdrawing a use case: why (recorded in the audit trail)."""

    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Reason"),
        help_text=_("Recorded in the audit trail. The use case stays visible, read-only."),
    )


class RiskQuestionnaireForm(forms.Form):
    """The risk questionnaire: a Yes/No radio per question, checkboxes for
    the lists (none ticked is an answer), grouped as ``risk.GROUPS``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in risk.QUESTIONS:
            if question.kind == risk.YES_NO:
                self.fields[question.code] = forms.TypedChoiceField(
                    label=question.text,
                    help_text=question.help,
                    choices=[("yes", _("Yes")), ("no", _("No"))],
                    coerce=lambda value: value == "yes",
                    widget=forms.RadioSelect,
                )
            else:
                self.fields[question.code] = forms.MultipleChoiceField(
                    label=question.text,
                    help_text=question.help,
                    choices=question.options,
                    widget=forms.CheckboxSelectMultiple,
                    required=False,
                )

    def groups(self) -> list[tuple[str, list[Any]]]:
        by_group: dict[str, list[Any]] = {code: [] for code, _label in risk.GROUPS}
        for question in risk.QUESTIONS:
            by_group[question.group].append(self[question.code])
        return [(label, by_group[code]) for code, label in risk.GROUPS]

    @staticmethod
    def initial_from(answers: dict[str, Any]) -> dict[str, Any]:
        return {
            code: ("yes" if value else "no") if isinstance(value, bool) else value
            for code, value in answers.items()
        }


class RiskDecisionForm(forms.Form):
    """Risk and compliance: confirm the proposal, or override it with a tier,
    regulations and a reason."""

    decision = forms.ChoiceField(
        choices=[("confirm", _("Confirm the proposal")), ("override", _("Override it"))],
        label=_("Decision"),
        widget=forms.RadioSelect,
        initial="confirm",
    )
    tier = forms.ChoiceField(
        choices=[("", "—"), *RiskTier.choices],
        required=False,
        label=_("Risk tier (override)"),
    )
    regulations = forms.MultipleChoiceField(
        choices=RegulatoryConstraint.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Regulations (override)"),
    )
    reason = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Reason (required to override)"),
        help_text=_("Recorded in the audit trail and shown in the history."),
    )

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        if data["decision"] == "confirm":
            return {"confirm": True}
        return {
            "tier": data["tier"] or None,
            "regulations": list(data["regulations"]),
            "reason": data["reason"],
        }
