"""The gate engine's REST API: thin views that parse input, check visibility
(invisible is 404), call one service and serialize the result.

Refusals from the services are DomainErrors, turned into 409/403/400 JSON
with their reasons by ``core.api_errors``; nothing here catches them.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.schema import DOWNLOAD_REDIRECT
from gates import (
    crosswalk,
    inputs,
    queues,
    read_model,
    rules,
    selectors,
    serializers,
    serializers_queues,
    services,
    uploads,
)
from gates.models import Artifact, GateReview
from gates.views import artifact_file_response
from usecases import access

ERRORS = {
    400: OpenApiResponse(description="Invalid input: a message per field."),
    403: OpenApiResponse(description="Visible, but you may not do this."),
    404: OpenApiResponse(description="Unknown, or not visible to you."),
    409: OpenApiResponse(
        description="Refused in the current state: `detail` and the `reasons` (what is "
        "missing, who has not approved)."
    ),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


def _review_response(request: Request, review_id: int, code: int = 200) -> Response:
    page = read_model.review_read(review_id, request.user)
    return Response(serializers.ReviewSerializer(page).data, status=code)


class GateTemplateListView(APIView):
    """The four gates of the framework and the Recertification of a use case
    in operation, with their criteria, artifact types and approver roles, at
    their current version."""

    @extend_schema(responses=serializers.GateTemplateSerializer(many=True), tags=["gates"])
    def get(self, request: Request) -> Response:
        templates = selectors.gate_templates()
        return Response(serializers.GateTemplateSerializer(templates, many=True).data)


@uploads.upload_limit(uploads.ARTIFACT_LIMIT)
class UseCaseArtifactsView(GenericAPIView):
    """All artifact versions of a use case; upload a new version (one file of
    at most ARTIFACT_MAX_BYTES: a larger one is stopped while it streams, and
    a body declared larger is refused before its file is read)."""

    parser_classes = [MultiPartParser, FormParser]
    serializer_class = serializers.ArtifactSerializer
    queryset = Artifact.objects.none()  # for the schema; rows come from the selector

    @extend_schema(
        responses={200: serializers.ArtifactSerializer(many=True), **_errors(404)},
        tags=["artifacts"],
    )
    def get(self, request: Request, pk: int) -> Response:
        use_case = access.visible_use_case(request.user, pk)
        page = self.paginate_queryset(selectors.artifacts_of(use_case))
        return self.get_paginated_response(serializers.ArtifactSerializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": inputs.ArtifactUploadInput},
        responses={201: serializers.ArtifactSerializer, **_errors(400, 403, 404, 409)},
        tags=["artifacts"],
    )
    def post(self, request: Request, pk: int) -> Response:
        use_case = access.visible_use_case(request.user, pk)
        # Refuse before reading the file: a person who may not upload learns
        # that first, whatever they sent.
        refusal = rules.upload_refusal(request.user, use_case)
        if refusal is not None:
            raise refusal
        stopped = uploads.stopped_upload(request)
        if stopped is not None:
            raise stopped.refusal("file")
        data = inputs.ArtifactUploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        artifact = services.artifact_upload(
            use_case=use_case,
            by=request.user,
            artifact_type=data.validated_data["artifact_type"],
            file=upload,
            file_name=upload.name,
            note=data.validated_data["note"],
        )
        return Response(serializers.ArtifactSerializer(artifact).data, status=201)


class PassthroughNegotiation(BaseContentNegotiation):
    """A download answers with the file's own type whatever Accept says."""

    def select_parser(self, request: Request, parsers: list) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: list, format_suffix: Any = None):
        return renderers[0], renderers[0].media_type


ARTIFACT_MEDIA_TYPES = sorted({media_type for media_type, _ in uploads.ALLOWED_TYPES.values()})


class ArtifactDownloadView(APIView):
    """The stored file, as an attachment, when its use case is visible to you."""

    content_negotiation_class = PassthroughNegotiation

    @extend_schema(
        responses={
            # The file in the type recorded when it was uploaded.
            **{(200, media_type): OpenApiTypes.BINARY for media_type in ARTIFACT_MEDIA_TYPES},
            302: DOWNLOAD_REDIRECT,
            **_errors(404),
        },
        tags=["artifacts"],
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return artifact_file_response(selectors.visible_artifact(request.user, pk))


class UseCaseReviewsView(APIView):
    """The use case's gate reviews; open the next gate's review."""

    @extend_schema(
        responses={200: serializers.ReviewSummarySerializer(many=True), **_errors(404)},
        tags=["reviews"],
    )
    def get(self, request: Request, pk: int) -> Response:
        use_case = access.visible_use_case(request.user, pk)
        reviews = (
            GateReview.objects.filter(use_case=use_case)
            .select_related("chair")
            .order_by("-opened_at", "-id")
        )
        return Response(serializers.ReviewSummarySerializer(reviews, many=True).data)

    @extend_schema(
        request=inputs.ReviewOpenInput,
        responses={201: serializers.ReviewSerializer, **_errors(400, 403, 404, 409)},
        tags=["reviews"],
    )
    def post(self, request: Request, pk: int) -> Response:
        use_case = access.visible_use_case(request.user, pk)
        data = inputs.ReviewOpenInput(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_open(
            use_case=use_case,
            by=request.user,
            approvers=data.validated_data.get("approvers"),
            planned_date=data.validated_data.get("planned_date"),
        )
        return _review_response(request, review.pk, status.HTTP_201_CREATED)


class ReviewDetailView(APIView):
    """A review with its criteria, required artifacts, approvals, decision,
    conditions, and what still blocks submission and Go."""

    @extend_schema(responses={200: serializers.ReviewSerializer, **_errors(404)}, tags=["reviews"])
    def get(self, request: Request, pk: int) -> Response:
        return _review_response(request, pk)


class CriterionAssessView(APIView):
    """Record the team's assessment of one criterion while the review is open.
    Omitted fields keep their current value."""

    @extend_schema(
        request=inputs.CriterionAssessInput,
        responses={200: serializers.ReviewCriterionSerializer, **_errors(400, 403, 404, 409)},
        tags=["reviews"],
    )
    def patch(self, request: Request, pk: int, criterion_id: int) -> Response:
        review = selectors.visible_review(request.user, pk)
        criterion = read_model.criterion_of(review, criterion_id)
        data = inputs.CriterionAssessInput(data=request.data, use_case_id=review.use_case_id)
        data.is_valid(raise_exception=True)
        services.criterion_assess(
            review=review,
            criterion=criterion,
            by=request.user,
            # A pending status is refused by the service with the allowed values.
            status=data.validated_data.get("status", criterion.status),
            evidence=data.validated_data.get("evidence", criterion.evidence),
            artifacts=data.validated_data.get("artifacts"),
        )
        fresh = read_model.criterion_of(review, criterion.pk)
        return Response(serializers.ReviewCriterionSerializer(fresh).data)


class ReviewSubmitView(APIView):
    """Submit the review for approval; refused with what is missing."""

    @extend_schema(
        request=None,
        responses={200: serializers.ReviewSerializer, **_errors(403, 404, 409)},
        tags=["reviews"],
    )
    def post(self, request: Request, pk: int) -> Response:
        review = selectors.visible_review(request.user, pk)
        services.review_submit(review=review, by=request.user)
        return _review_response(request, review.pk)


class ApprovalRecordView(APIView):
    """The caller's own decision as a named approver or, holding no seat of
    the review, as the active delegate of one of its approvers, in that
    approver's seat (under the seat's rules). There is no approver field."""

    @extend_schema(
        request=inputs.ApprovalInput,
        responses={200: serializers.ReviewSerializer, **_errors(400, 403, 404, 409)},
        tags=["reviews"],
    )
    def post(self, request: Request, pk: int) -> Response:
        review = selectors.visible_review(request.user, pk)
        data = inputs.ApprovalInput(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["return_for_rework"]:
            services.approval_reject_and_return(
                review=review, approver=request.user, comment=data.validated_data["comment"]
            )
            return _review_response(request, review.pk)
        services.approval_record(
            review=review,
            approver=request.user,
            decision=data.validated_data["decision"],
            comment=data.validated_data["comment"],
            conditions=[dict(c) for c in data.validated_data["conditions"]],
        )
        return _review_response(request, review.pk)


class ReviewReturnView(APIView):
    """Return a submitted review to the team for rework, with a reason: the
    chair, or an approver whose seat rejected it. The votes are cleared (kept
    in the audit trail); the criteria keep their assessments."""

    @extend_schema(
        request=inputs.ReviewReturnInput,
        responses={200: serializers.ReviewSerializer, **_errors(400, 403, 404, 409)},
        tags=["reviews"],
    )
    def post(self, request: Request, pk: int) -> Response:
        review = selectors.visible_review(request.user, pk)
        data = inputs.ReviewReturnInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.review_return(review=review, by=request.user, reason=data.validated_data["reason"])
        return _review_response(request, review.pk)


class ApproverReassignView(APIView):
    """The chair gives an approver seat to someone else, with a reason, while
    the review is open or submitted. The new seating obeys the rules of
    segregation of duties (400 with the reasons); the seat's vote starts
    again from pending."""

    @extend_schema(
        request=inputs.ApproverReassignInput,
        responses={200: serializers.ReviewSerializer, **_errors(400, 403, 404, 409)},
        tags=["reviews"],
    )
    def post(self, request: Request, pk: int, approver_id: int) -> Response:
        review = selectors.visible_review(request.user, pk)
        row = read_model.approver_of(review, approver_id)
        # Refuse a non-chair before reading the input: they learn that first.
        refusal = rules.reassign_refusal(request.user, review)
        if refusal is not None:
            raise refusal
        data = inputs.ApproverReassignInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.approver_reassign(
            review=review,
            by=request.user,
            approver_row=row,
            to_user=data.validated_data["user"],
            reason=data.validated_data["reason"],
        )
        return _review_response(request, review.pk)


class DelegationListView(APIView):
    """The delegations you gave and received; give one: the delegate records
    decisions in your approver seats from the first day to the last, under
    each seat's rules."""

    @extend_schema(
        responses={200: serializers.DelegationSerializer(many=True)}, tags=["delegations"]
    )
    def get(self, request: Request) -> Response:
        delegations = selectors.delegations_of(request.user)
        return Response(serializers.DelegationSerializer(delegations, many=True).data)

    @extend_schema(
        request=inputs.DelegationCreateInput,
        responses={201: serializers.DelegationSerializer, **_errors(400, 409)},
        tags=["delegations"],
    )
    def post(self, request: Request) -> Response:
        data = inputs.DelegationCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        delegation = services.delegation_create(by=request.user, **data.validated_data)
        return Response(serializers.DelegationSerializer(delegation).data, status=201)


class DelegationRevokeView(APIView):
    """End a delegation now: the person who gave it or a program lead."""

    @extend_schema(
        request=None,
        responses={200: serializers.DelegationSerializer, **_errors(403, 404, 409)},
        tags=["delegations"],
    )
    def post(self, request: Request, pk: int) -> Response:
        delegation = selectors.visible_delegation(request.user, pk)
        revoked = services.delegation_revoke(delegation=delegation, by=request.user)
        return Response(serializers.DelegationSerializer(revoked).data)


class GateDecideView(APIView):
    """The chair's gate decision with the gate meeting's record (date,
    attendees, guests, minutes). Go and Conditional Go are refused with the
    reasons until every approver has approved and every must-meet criterion
    is met; a must-meet criterion only partially met allows Conditional Go
    when one of its conditions answers it (``criterion``). Conditional Go
    adopts the approvers' proposed conditions named in ``adopt``. Hold,
    Recycle and Kill need a rationale. On a recertification Go and
    Conditional Go set the next due date; Retire (recertifications only)
    needs a rationale and ``decommissioning``, every active step of
    ``/decommissioning-steps/`` answered once; Kill is refused there. Kill
    and Retire name an ``exit_reason`` (a code of ``/exit-reasons/`` that
    applies to the decision) and the ``lessons_learned``."""

    @extend_schema(
        request=inputs.DecisionInput,
        responses={200: serializers.ReviewSerializer, **_errors(400, 403, 404, 409)},
        tags=["reviews"],
    )
    def post(self, request: Request, pk: int) -> Response:
        review = selectors.visible_review(request.user, pk)
        data = inputs.DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.gate_decide(
            review=review,
            by=request.user,
            decision=data.validated_data["decision"],
            rationale=data.validated_data["rationale"],
            conditions=[dict(c) for c in data.validated_data["conditions"]],
            adopt=data.validated_data["adopt"],
            meeting_date=data.validated_data["meeting_date"],
            attendees=data.validated_data["attendees"],
            guests=data.validated_data["guests"],
            minutes=data.validated_data["minutes"],
            decommissioning=[dict(a) for a in data.validated_data["decommissioning"]],
            exit_reason=data.validated_data["exit_reason"],
            lessons_learned=data.validated_data["lessons_learned"],
        )
        return _review_response(request, review.pk)


class ConditionCloseView(APIView):
    """Close a gate condition: its owner or a program lead, with a note."""

    @extend_schema(
        request=inputs.ConditionCloseInput,
        responses={200: serializers.ConditionSerializer, **_errors(400, 403, 404, 409)},
        tags=["reviews"],
    )
    def post(self, request: Request, pk: int) -> Response:
        condition = selectors.visible_condition(request.user, pk)
        data = inputs.ConditionCloseInput(data=request.data)
        data.is_valid(raise_exception=True)
        closed = services.condition_close(
            condition=condition, by=request.user, note=data.validated_data["note"]
        )
        return Response(serializers.ConditionSerializer(closed).data)


class UseCaseResumeView(APIView):
    """Resume a use case on hold (program leads)."""

    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=inputs.ResumeInput,
        responses={200: serializers.UseCaseStateSerializer, **_errors(400, 403, 404, 409)},
        tags=["reviews"],
    )
    def post(self, request: Request, pk: int) -> Response:
        use_case = access.visible_use_case(request.user, pk)
        data = inputs.ResumeInput(data=request.data)
        data.is_valid(raise_exception=True)
        resumed = services.usecase_resume(
            use_case=use_case, by=request.user, note=data.validated_data["note"]
        )
        return Response(serializers.UseCaseStateSerializer(resumed).data)


class ReviewScheduleView(APIView):
    """Set or move the planned gate date: the chair or a program lead, with a
    reason, while the review is not decided."""

    @extend_schema(
        request=inputs.ReviewScheduleInput,
        responses={200: serializers.ReviewSerializer, **_errors(400, 403, 404, 409)},
        tags=["reviews"],
    )
    def post(self, request: Request, pk: int) -> Response:
        review = selectors.visible_review(request.user, pk)
        refusal = rules.reschedule_refusal(request.user, review)
        if refusal is not None:
            raise refusal
        data = inputs.ReviewScheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.review_reschedule(review=review, by=request.user, **data.validated_data)
        return _review_response(request, review.pk)


class MyQueuesView(APIView):
    """What waits on the caller, as on My work: reviews awaiting their
    decision (chair) and approval, reviews they prepare with what blocks
    submission, conditions they own, their delegations. Each queue lists its
    oldest rows (25 at most) and `totals` counts all of them; the queue's own
    endpoint (`/api/v1/me/queues/decisions/` and so on) pages through it."""

    @extend_schema(responses={200: serializers_queues.MyQueuesSerializer}, tags=["reviews"])
    def get(self, request: Request) -> Response:
        return Response(serializers_queues.MyQueuesSerializer(queues.my_queues(request.user)).data)


class MyQueueView(ListAPIView):
    """One of the caller's queues in full, oldest first, a page at a time."""

    queue = ""
    filter_backends: list = []

    @extend_schema(tags=["reviews"])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return queues.queue_query(self.request.user, self.queue)

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        rows = queues.queue_rows(request.user, self.queue, page)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


MY_QUEUE_VIEWS = {
    name: type(
        f"My{name.title()}QueueView",
        (MyQueueView,),
        {
            "queue": name,
            "serializer_class": serializer,
            "__doc__": f"{summary}: all of it, oldest first, a page at a time.",
        },
    )
    for name, serializer, summary in (
        ("decisions", serializers_queues.DecisionRowSerializer, "Reviews awaiting my decision"),
        ("approvals", serializers_queues.ApprovalRowSerializer, "Reviews awaiting my approval"),
        ("preparing", serializers_queues.PreparingRowSerializer, "Open reviews I prepare"),
        ("conditions", serializers_queues.ConditionRowSerializer, "Gate conditions I own"),
        ("delegations", serializers_queues.DelegationRowSerializer, "My delegations"),
    )
}


class ExitReasonListView(APIView):
    """The active reasons a Kill or Retire gives, with the decisions each
    applies to (``kill``, ``retire`` or ``both``)."""

    @extend_schema(responses=serializers.ExitReasonSerializer(many=True), tags=["gates"])
    def get(self, request: Request) -> Response:
        reasons = selectors.exit_reasons()
        return Response(serializers.ExitReasonSerializer(reasons, many=True).data)


class DecommissioningStepListView(APIView):
    """The active steps of the decommissioning checklist a Retire answers."""

    @extend_schema(responses=serializers.DecommissioningStepSerializer(many=True), tags=["gates"])
    def get(self, request: Request) -> Response:
        steps = selectors.decommissioning_steps()
        return Response(serializers.DecommissioningStepSerializer(steps, many=True).data)


# --- Framework controls and the crosswalk of a use case ----------------------------


class ControlListView(APIView):
    """The controls of the governance frameworks (EU AI Act articles, ISO/IEC
    42001 clauses, NIST AI RMF functions) that gate criteria and artifact
    types cite."""

    @extend_schema(responses=serializers.ControlSerializer(many=True), tags=["gates"])
    def get(self, request: Request) -> Response:
        return Response(serializers.ControlSerializer(crosswalk.controls_all(), many=True).data)


class UseCaseControlsView(APIView):
    """The use case's controls crosswalk: for each framework, each control its
    reviews cite with the evidence (criteria assessments, artifact versions,
    which review), whether evidence covers it, and the criteria and artifacts
    of gates not reviewed yet that will cite it."""

    @extend_schema(responses={200: serializers.CrosswalkSerializer, **_errors(404)}, tags=["gates"])
    def get(self, request: Request, pk: int) -> Response:
        use_case = access.visible_use_case(request.user, pk)
        return Response(serializers.CrosswalkSerializer(crosswalk.usecase_controls(use_case)).data)
