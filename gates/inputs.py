"""The gate API's input serializers: each parses and type-checks one request
(400 with field messages) and hands the parsed values to one service; none
changes state."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from rest_framework import serializers

from gates.models import (
    ApprovalDecision,
    Artifact,
    ArtifactType,
    AssessmentStatus,
    Decision,
    DecommissioningStatus,
)

User = get_user_model()


def active_users() -> QuerySet:
    return User.objects.filter(is_active=True)


class ArtifactUploadInput(serializers.Serializer):
    artifact_type = serializers.CharField(
        max_length=80, help_text="The artifact type's id or code."
    )
    file = serializers.FileField(max_length=None, use_url=False)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")

    def validate_artifact_type(self, value: str) -> ArtifactType:
        lookup = {"pk": int(value)} if value.isascii() and value.isdigit() else {"code": value}
        try:
            return ArtifactType.objects.select_related("template").get(**lookup)
        except (ArtifactType.DoesNotExist, OverflowError):
            raise serializers.ValidationError(f"Unknown artifact type “{value}”.") from None


class ReviewOpenInput(serializers.Serializer):
    approvers = serializers.DictField(
        child=serializers.ListField(
            child=serializers.PrimaryKeyRelatedField(queryset=active_users()), allow_empty=False
        ),
        required=False,
        help_text="Optional: approver role code → user ids, overriding who holds the role.",
    )
    planned_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Optional: the planned gate date (YYYY-MM-DD), today or later.",
    )


class ReviewScheduleInput(serializers.Serializer):
    planned_date = serializers.DateField(help_text="The planned gate date, today or later.")
    reason = serializers.CharField(max_length=2000, help_text="Why the date is set or moves.")


class CriterionAssessInput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[c for c in AssessmentStatus.choices if c[0] != AssessmentStatus.PENDING],
        required=False,
        help_text="Omitted: keeps the current assessment.",
    )
    evidence = serializers.CharField(
        max_length=10000, required=False, allow_blank=True, trim_whitespace=False
    )
    # A list of ids: DRF's many=True related field would also take an object
    # and read its keys as the ids.
    artifacts = serializers.ListField(
        child=serializers.PrimaryKeyRelatedField(queryset=Artifact.objects.none()),
        required=False,
    )

    def __init__(self, *args: Any, use_case_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only this use case's artifacts can be linked; others are "invalid pk".
        self.fields["artifacts"].child.queryset = Artifact.objects.filter(use_case_id=use_case_id)


class ConditionInput(serializers.Serializer):
    description = serializers.CharField(max_length=2000)
    owner = serializers.PrimaryKeyRelatedField(queryset=active_users())
    due_date = serializers.DateField()
    criterion = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text="The id of the review criterion the condition answers: a must-meet "
        "criterion only partially met allows Conditional Go with a condition on it.",
    )


class ApprovalInput(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[c for c in ApprovalDecision.choices if c[0] != ApprovalDecision.PENDING]
    )
    comment = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when rejecting.",
    )
    conditions = ConditionInput(
        many=True,
        required=False,
        default=list,
        max_length=20,
        help_text="With approve_with_conditions (at least one): the conditions proposed to "
        "the chair, who adopts them into a Conditional Go.",
    )
    return_for_rework = serializers.BooleanField(
        required=False,
        default=False,
        help_text="With “reject” only: also return the review to the team for rework, "
        "with the comment as the reason.",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("return_for_rework") and data["decision"] != ApprovalDecision.REJECT:
            raise serializers.ValidationError(
                {"return_for_rework": "A review is returned for rework only with a rejection."}
            )
        return data


class ReviewReturnInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=5000, help_text="Why the review goes back to the team: what to rework."
    )


class ApproverReassignInput(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=active_users(), help_text="The person who takes the seat."
    )
    reason = serializers.CharField(max_length=2000, help_text="Why the seat changes hands.")


class DelegationCreateInput(serializers.Serializer):
    delegate = serializers.PrimaryKeyRelatedField(
        queryset=active_users(), help_text="The person who decides in your seats."
    )
    starts_on = serializers.DateField(help_text="The first day, today or later.")
    ends_on = serializers.DateField(help_text="The last day the delegate may act (inclusive).")
    reason = serializers.CharField(max_length=2000)


class DecommissioningAnswerInput(serializers.Serializer):
    step = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="A decommissioning step's id."
    )
    status = serializers.ChoiceField(choices=DecommissioningStatus.choices)
    note = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the step is not applicable: why.",
    )


class DecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=Decision.choices,
        help_text="Retire only on a recertification; Kill only at gates 1-4.",
    )
    rationale = serializers.CharField(
        max_length=10000, required=False, allow_blank=True, default=""
    )
    conditions = ConditionInput(many=True, required=False, default=list, max_length=20)
    adopt = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        default=list,
        max_length=50,
        help_text="Ids of conditions the approvers proposed that become conditions of this "
        "Conditional Go.",
    )
    meeting_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The day of the gate meeting; the day of recording when omitted.",
    )
    attendees = serializers.PrimaryKeyRelatedField(
        queryset=active_users(),
        many=True,
        required=False,
        default=list,
        help_text="Who attended, by user id; the person recording is always counted.",
    )
    guests = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Attendees without an account.",
    )
    minutes = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    decommissioning = DecommissioningAnswerInput(
        many=True,
        required=False,
        default=list,
        max_length=100,
        help_text="Retire only: every active decommissioning step answered once.",
    )
    exit_reason = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="Kill and Retire only, and required there: the code of an active reason of "
        "`/exit-reasons/` that applies to the decision.",
    )
    lessons_learned = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Kill and Retire only, and required there: a short record of what was learned.",
    )


class ConditionCloseInput(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ResumeInput(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
