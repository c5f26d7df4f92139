"""The gate API's output serializers: they shape what a selector read, typed
for the schema, and change nothing. The input ones are gates.inputs, My
work's queues gates.serializers_queues."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_fields import MethodTextField, represent_each
from core.web import display_name
from gates.crosswalk import PendingKind
from gates.models import (
    ApproverDelegation,
    Artifact,
    ArtifactType,
    AssessmentStatus,
    Control,
    ControlFramework,
    Decision,
    DecommissioningStatus,
    DecommissioningStep,
    DelegationState,
    ExitKind,
    ExitReason,
    GateApproverRole,
    GateCondition,
    GateCriterion,
    GateReview,
    GateTemplate,
    ProposedCondition,
    ReviewApprover,
    ReviewCriterion,
    ReviewStatus,
    ReviewTrigger,
)
from gates.read_model import RequiredArtifact, ReviewRead
from usecases.models import RegulatoryConstraint, RiskTier, Stage


def stage_field(**kwargs: Any) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=Stage.choices, **kwargs)


# --- Output ---------------------------------------------------------------------


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    username = MethodTextField("get_username")
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return display_name(user)


_ANSWER_SCALAR = [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "oneOf": [*_ANSWER_SCALAR, {"type": "array", "items": {"oneOf": _ANSWER_SCALAR}}]
        },
    }
)
class AnswersField(serializers.DictField):
    """Question code to a value, or to a list of values meaning any of them."""


class ApplicabilityRuleSerializer(serializers.Serializer):
    """When a criterion or artifact type applies; no key: always. Every key
    given must hold."""

    risk_tiers = serializers.ListField(
        child=serializers.ChoiceField(choices=RiskTier.choices),
        required=False,
        help_text="The use case's risk tier is one of these.",
    )
    regulations = serializers.ListField(
        child=serializers.ChoiceField(choices=RegulatoryConstraint.choices),
        required=False,
        help_text="One of these regulations applies to the use case.",
    )
    answers = AnswersField(
        required=False,
        help_text="Question code to the value (or list of values) the risk questionnaire's "
        "latest decided answers must give.",
    )


class ControlSerializer(serializers.ModelSerializer):
    framework_label = MethodTextField("get_framework_display")

    class Meta:
        model = Control
        fields = ["id", "framework", "framework_label", "reference", "title", "description"]


class GateCriterionSerializer(serializers.ModelSerializer):
    applies_when = ApplicabilityRuleSerializer()
    controls = ControlSerializer(many=True)

    class Meta:
        model = GateCriterion
        fields = ["id", "order", "name", "requirement", "must_meet", "applies_when", "controls"]


class ArtifactTypeSerializer(serializers.ModelSerializer):
    applies_when = ApplicabilityRuleSerializer()
    controls = ControlSerializer(many=True)

    class Meta:
        model = ArtifactType
        fields = [
            "id",
            "code",
            "name",
            "order",
            "required",
            "is_active",
            "applies_when",
            "controls",
            "validity_months",
        ]


class GateApproverRoleSerializer(serializers.ModelSerializer):
    label = MethodTextField("get_role_display")

    class Meta:
        model = GateApproverRole
        fields = ["role", "label", "condition"]


class GateTemplateSerializer(serializers.ModelSerializer):
    from_stage = stage_field()
    to_stage = stage_field()
    criteria = GateCriterionSerializer(many=True)
    artifact_types = ArtifactTypeSerializer(many=True)
    approver_roles = GateApproverRoleSerializer(many=True)
    label = serializers.CharField(help_text="“Gate 3” or “Recertification”.")
    is_recertification = serializers.BooleanField(
        help_text="The periodic review of a use case in operation (Scale to Scale)."
    )

    class Meta:
        model = GateTemplate
        fields = [
            "id",
            "number",
            "label",
            "is_recertification",
            "name",
            "from_stage",
            "to_stage",
            "purpose",
            "version",
            "criteria",
            "artifact_types",
            "approver_roles",
        ]


class ArtifactTypeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    name = serializers.CharField()


class ArtifactSerializer(serializers.ModelSerializer):
    artifact_type = ArtifactTypeRefSerializer()
    uploaded_by = UserRefSerializer()
    download_url = serializers.SerializerMethodField()
    expires_on = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="The first day this version is no longer valid evidence (its type's "
        "validity after the upload); null when the type has no validity.",
    )
    expired = serializers.BooleanField(
        source="is_expired", read_only=True, help_text="True from the day it expires."
    )

    class Meta:
        model = Artifact
        fields = [
            "id",
            "use_case",
            "artifact_type",
            "version",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "note",
            "uploaded_by",
            "uploaded_at",
            "download_url",
            "expires_on",
            "expired",
        ]

    def get_download_url(self, artifact: Artifact) -> str:
        return reverse("api-artifact-download", args=[artifact.pk])


# Fields the apps above add to a criterion (readiness: the KPI rule it is
# assessed from, the PoC scorecards it cites), registered at start-up with a
# factory for a read-only field; their values are what the same apps attached
# through ``read_model.register_criterion_extension``.
CRITERION_FIELDS: dict[str, Callable[[], serializers.Field]] = {}


def register_criterion_field(name: str, factory: Callable[[], serializers.Field]) -> None:
    CRITERION_FIELDS[name] = factory


class ReviewCriterionSerializer(serializers.ModelSerializer):
    artifacts = serializers.SerializerMethodField()
    assessed_by = UserRefSerializer(allow_null=True)
    carried_over = serializers.BooleanField(
        help_text="True while the assessment is the one carried over from the recycled review "
        "(until someone assesses the criterion in this review)."
    )
    carried_from_review = serializers.SerializerMethodField(
        help_text="The recycled review the assessment was carried over from; null otherwise."
    )
    applicability = serializers.CharField(
        help_text="Why the criterion applies to this use case (“Applies: EU AI Act and high "
        "risk”); empty when every use case faces it."
    )
    controls = serializers.SerializerMethodField(
        help_text="The framework controls the criterion cited when the review opened."
    )

    class Meta:
        model = ReviewCriterion
        fields = [
            "id",
            "order",
            "name",
            "requirement",
            "must_meet",
            "status",
            "evidence",
            "artifacts",
            "assessed_by",
            "assessed_at",
            "carried_over",
            "carried_from_review",
            "applicability",
            "controls",
        ]

    @extend_schema_field(ControlSerializer(many=True))
    def get_controls(self, criterion: ReviewCriterion) -> list[dict[str, Any]]:
        # Read once by the review read (``cited_controls``); a lone criterion reads its own.
        cited = getattr(criterion, "cited_controls", None)
        if cited is None:
            cited = list(criterion.controls.all())
        return represent_each(self, ControlSerializer, cited)

    def get_carried_from_review(self, criterion: ReviewCriterion) -> int | None:
        # carried_from comes with the criterion (select_related): no query.
        if not criterion.carried_over or criterion.carried_from is None:
            return None
        return criterion.carried_from.review_id

    def get_artifacts(self, criterion: ReviewCriterion) -> list[int]:
        # Read once by the review read (``linked``); a lone criterion reads its own.
        linked = getattr(criterion, "linked", None)
        if linked is None:
            linked = criterion.artifacts.all()
        return [a.pk for a in linked]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for name, factory in CRITERION_FIELDS.items():
            fields[name] = factory()
        return fields


class ArtifactVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    version = serializers.IntegerField()
    original_name = serializers.CharField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class RequiredArtifactSerializer(serializers.Serializer):
    artifact_type = ArtifactTypeRefSerializer()
    present = serializers.SerializerMethodField()
    latest = ArtifactVersionSerializer(allow_null=True)
    pinned = ArtifactVersionSerializer(allow_null=True)
    applicability = serializers.CharField(
        help_text="Why this use case is asked for it; empty when every use case is."
    )
    controls = ControlSerializer(many=True, help_text="The controls its type cites.")

    def get_present(self, required: RequiredArtifact) -> bool:
        return required.latest is not None


# --- The controls crosswalk of a use case ---------------------------------------


class ReviewRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    gate_number = serializers.IntegerField()
    gate_label = serializers.CharField(help_text="“Gate 3” or “Recertification”.")
    status = serializers.ChoiceField(choices=ReviewStatus.choices)
    decision = serializers.CharField()


class CriterionEvidenceSerializer(serializers.Serializer):
    review = ReviewRefSerializer()
    criterion_id = serializers.IntegerField(source="criterion.pk")
    name = serializers.CharField(source="criterion.name")
    status = serializers.ChoiceField(source="criterion.status", choices=AssessmentStatus.choices)
    evidence = serializers.CharField(source="criterion.evidence")
    applicability = serializers.CharField(source="criterion.applicability")


class ArtifactEvidenceSerializer(serializers.Serializer):
    review = ReviewRefSerializer()
    artifact_type = ArtifactTypeRefSerializer()
    applicability = serializers.CharField()
    artifact = ArtifactVersionSerializer(allow_null=True)
    pinned = serializers.BooleanField(help_text="The version the submitted review pinned.")
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, evidence: Any) -> str | None:
        if evidence.artifact is None:
            return None
        return reverse("api-artifact-download", args=[evidence.artifact.pk])


class PendingRuleSerializer(serializers.Serializer):
    gate_number = serializers.IntegerField()
    gate_label = serializers.CharField(help_text="“Gate 3” or “Recertification”.")
    asks_for = serializers.ChoiceField(
        source="kind",
        choices=PendingKind.choices,
        help_text="Whether the gate will ask for a criterion or an artifact.",
    )
    name = serializers.CharField()
    reason = serializers.CharField()


class ControlRowSerializer(serializers.Serializer):
    control = ControlSerializer()
    covered = serializers.BooleanField(
        help_text="A criterion citing it is met or partially met, or an artifact citing it "
        "was uploaded."
    )
    criteria = CriterionEvidenceSerializer(many=True)
    artifacts = ArtifactEvidenceSerializer(many=True)
    upcoming = PendingRuleSerializer(
        many=True, help_text="Criteria and artifacts of gates not reviewed yet that will cite it."
    )


class FrameworkGroupSerializer(serializers.Serializer):
    framework = serializers.ChoiceField(choices=ControlFramework.choices)
    label = serializers.CharField()
    controls = ControlRowSerializer(source="rows", many=True)


class CrosswalkSerializer(serializers.Serializer):
    use_case = serializers.IntegerField(source="use_case.pk")
    covered_count = serializers.IntegerField()
    frameworks = FrameworkGroupSerializer(many=True)


class ApprovalSerializer(serializers.ModelSerializer):
    user = UserRefSerializer()
    decided_by = UserRefSerializer(
        allow_null=True,
        help_text="The holder's delegate who recorded the decision; null when the holder did.",
    )
    decided_as = serializers.CharField(
        help_text="Who the decision is shown as: the holder, or “Delegate for Holder”; "
        "empty while pending."
    )

    class Meta:
        model = ReviewApprover
        fields = [
            "id",
            "user",
            "roles",
            "decision",
            "comment",
            "decided_at",
            "decided_by",
            "decided_as",
        ]


class DelegationSerializer(serializers.ModelSerializer):
    holder = UserRefSerializer()
    delegate = UserRefSerializer()
    revoked_by = UserRefSerializer(allow_null=True)
    state = serializers.SerializerMethodField()

    class Meta:
        model = ApproverDelegation
        fields = [
            "id",
            "holder",
            "delegate",
            "starts_on",
            "ends_on",
            "reason",
            "state",
            "created_at",
            "revoked_at",
            "revoked_by",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=DelegationState.choices))
    def get_state(self, delegation: ApproverDelegation) -> str:
        return delegation.state().value


class ConditionSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer()
    closed_by = UserRefSerializer(allow_null=True)

    class Meta:
        model = GateCondition
        fields = [
            "id",
            "review",
            "criterion",
            "description",
            "owner",
            "due_date",
            "status",
            "closed_note",
            "closed_at",
            "closed_by",
        ]


class ProposedConditionSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer()
    proposed_by = UserRefSerializer()
    approver = serializers.IntegerField(
        source="approver_id", help_text="The approver seat whose vote proposed it."
    )

    class Meta:
        model = ProposedCondition
        fields = [
            "id",
            "approver",
            "proposed_by",
            "criterion",
            "description",
            "owner",
            "due_date",
            "created_at",
            "adopted_as",
        ]


class MeetingSerializer(serializers.Serializer):
    date = serializers.DateField(source="review.meeting_date", allow_null=True)
    attendees = UserRefSerializer(source="meeting_attendees", many=True)
    guests = serializers.CharField(source="review.meeting_guests")
    minutes = serializers.CharField(source="review.minutes")


class DecommissioningStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = DecommissioningStep
        fields = ["id", "order", "text"]


class ExitReasonSerializer(serializers.ModelSerializer):
    applies_to = serializers.ChoiceField(
        choices=ExitKind.choices, help_text="The decisions that may give it: Kill, Retire or both."
    )

    class Meta:
        model = ExitReason
        fields = ["id", "code", "label", "applies_to", "order"]


class ExitReasonRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class DecommissioningEntrySerializer(serializers.Serializer):
    """A step of a Retire's decommissioning checklist as it was answered."""

    step = serializers.IntegerField(help_text="The decommissioning step's id.")
    text = serializers.CharField(help_text="The step's text when it was answered.")
    status = serializers.ChoiceField(choices=DecommissioningStatus.choices)
    note = serializers.CharField()


class ReviewSummarySerializer(serializers.ModelSerializer):
    chair = UserRefSerializer()
    from_stage = stage_field()
    to_stage = stage_field()
    decision = serializers.ChoiceField(choices=[("", "Not decided"), *Decision.choices])
    gate_label = serializers.CharField(help_text="“Gate 3” or “Recertification”.")
    trigger = serializers.ChoiceField(choices=ReviewTrigger.choices)

    class Meta:
        model = GateReview
        fields = [
            "id",
            "use_case",
            "gate_number",
            "gate_label",
            "trigger",
            "from_stage",
            "to_stage",
            "status",
            "chair",
            "template_version",
            "opened_at",
            "submitted_at",
            "decision",
            "decided_at",
        ]


class ReviewSerializer(serializers.Serializer):
    """A review as ``read_model.review_read`` reads it."""

    id = serializers.IntegerField(source="review.pk")
    use_case = serializers.SerializerMethodField()
    gate_number = serializers.IntegerField(source="review.gate_number")
    gate_label = serializers.CharField(
        source="review.gate_label", help_text="“Gate 3” or “Recertification”."
    )
    is_recertification = serializers.BooleanField(
        source="review.is_recertification",
        help_text="A periodic review of a use case in operation (Scale to Scale).",
    )
    trigger = serializers.ChoiceField(
        choices=ReviewTrigger.choices,
        source="review.trigger",
        help_text="Why it was opened: by a lead, or (recertification) by the schedule, a "
        "drift breach or an incident.",
    )
    trigger_detail = serializers.CharField(
        source="review.trigger_detail", help_text="The breach or incident that opened it."
    )
    from_stage = stage_field(source="review.from_stage")
    to_stage = stage_field(source="review.to_stage")
    status = serializers.CharField(source="review.status")
    chair = UserRefSerializer(source="review.chair")
    template_version = serializers.IntegerField(source="review.template_version")
    opened_at = serializers.DateTimeField(source="review.opened_at")
    submitted_at = serializers.DateTimeField(source="review.submitted_at", allow_null=True)
    submitted_by = UserRefSerializer(source="review.submitted_by", allow_null=True)
    decision = serializers.ChoiceField(
        choices=[("", "Not decided"), *Decision.choices], source="review.decision"
    )
    rationale = serializers.CharField(source="review.rationale")
    decided_at = serializers.DateTimeField(source="review.decided_at", allow_null=True)
    decided_by = UserRefSerializer(source="review.decided_by", allow_null=True)
    rework_count = serializers.IntegerField(
        source="review.rework_count", help_text="How many times it was returned for rework."
    )
    returned_at = serializers.DateTimeField(source="review.returned_at", allow_null=True)
    returned_by = UserRefSerializer(source="review.returned_by", allow_null=True)
    return_reason = serializers.CharField(
        source="review.return_reason", help_text="Why it was last returned; empty if never."
    )
    carried_from = serializers.IntegerField(
        source="review.carried_from_id",
        allow_null=True,
        help_text="The recycled review of this gate whose assessments it started from.",
    )
    criteria = ReviewCriterionSerializer(many=True)
    required_artifacts = RequiredArtifactSerializer(source="required", many=True)
    approvals = ApprovalSerializer(source="approvers", many=True)
    conditions = ConditionSerializer(many=True)
    submission_blockers = serializers.ListField(child=serializers.CharField())
    go_blockers = serializers.ListField(child=serializers.CharField())
    conditional_go_blockers = serializers.ListField(
        child=serializers.CharField(),
        help_text="What still blocks Conditional Go once a condition is attached to each "
        "must-meet criterion only partially met.",
    )
    proposed_conditions = ProposedConditionSerializer(source="proposals", many=True)
    meeting = MeetingSerializer(
        source="*", help_text="The gate meeting of the decision; empty until decided."
    )
    planned_date = serializers.DateField(
        source="review.planned_date", allow_null=True, help_text="The planned gate date."
    )
    late = serializers.BooleanField(
        source="review.is_late", help_text="Not decided and past its planned date."
    )
    decommissioning = DecommissioningEntrySerializer(
        source="review.decommissioning",
        many=True,
        help_text="A Retire's decommissioning checklist as answered; empty otherwise.",
    )
    exit_reason = ExitReasonRefSerializer(
        source="review.exit_reason",
        allow_null=True,
        help_text="Why a Kill or Retire ended the use case; null otherwise.",
    )
    lessons_learned = serializers.CharField(
        source="review.lessons_learned",
        help_text="What a Kill or Retire recorded as learned; empty otherwise.",
    )

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "title": {"type": "string"},
                "stage": {"type": "string"},
                "status": {"type": "string"},
            },
        }
    )
    def get_use_case(self, page: ReviewRead) -> dict[str, Any]:
        use_case = page.use_case
        return {
            "id": use_case.pk,
            "title": use_case.title,
            "stage": use_case.stage,
            "status": use_case.status,
        }


class UseCaseStateSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    stage = serializers.CharField()
    status = serializers.CharField()
