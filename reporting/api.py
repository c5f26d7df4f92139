"""The reporting REST API: request a gate pack, follow its status, download
it; the executive dashboard's figures.

Invisible use case → 404; visible but not allowed → 403; download before the
pack is ready → 409. Requesting answers 202 once a new pack row exists, even
with the task queue down (the row stays queued and is handed over later), and
200 with the existing pack when one of the same content is ready or being
generated. Past ``THROTTLE_PACK_REQUESTS`` a person's requests are 429. The
rate is counted in Django's cache: where that is the broker's Redis
(``CACHE_IN_REDIS=1``) and Redis does not answer, the request is a 503 that
makes no pack (``core.cache``).
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import PermissionRefused
from core.schema import DOWNLOAD_REDIRECT
from core.throttling import ThrottledAPIView
from gates.selectors import visible_review
from reporting import dashboard_read, rules, selectors, services
from reporting.models import GatePack, PackStatus
from reporting.serializers import DashboardSerializer
from reporting.views import pack_file_response


class PackRequestedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=PackStatus.choices)
    message = serializers.CharField()


class PackSerializer(serializers.ModelSerializer):
    stale = serializers.SerializerMethodField(
        help_text="What the pack shows has changed since: its content hash is not the hash "
        "of the review's pack data now."
    )
    download_url = serializers.SerializerMethodField(help_text="Set once the pack is ready.")
    requested_by = serializers.CharField(source="requested_by.get_username", read_only=True)

    class Meta:
        model = GatePack
        fields = [
            "id",
            "review",
            "review_revision",
            "status",
            "stale",
            "requested_by",
            "requested_at",
            "generated_at",
            "page_count",
            "size",
            "sha256",
            "content_hash",
            "failure_reason",
            "download_url",
        ]
        read_only_fields = fields

    def get_stale(self, pack: GatePack) -> bool:
        return pack.is_stale

    def get_download_url(self, pack: GatePack) -> str | None:
        if not pack.is_ready:
            return None
        request = self.context.get("request")
        url = f"/api/v1/packs/{pack.pk}/download/"
        return request.build_absolute_uri(url) if request else url


class PassthroughNegotiation(BaseContentNegotiation):
    """The download answers a PDF whatever the Accept header says."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


ERRORS = {
    403: OpenApiResponse(description="Visible, but you may not do this."),
    404: OpenApiResponse(description="Unknown, or not visible to you."),
    409: OpenApiResponse(description="The pack is not ready yet."),
    429: OpenApiResponse(
        description="Too many pack requests by this person (THROTTLE_PACK_REQUESTS): "
        "`detail`, the limit in `reasons`, and a `Retry-After` header in seconds."
    ),
}


class ReviewPacksView(ThrottledAPIView, APIView):
    """A review's gate packs, newest first; request a new one."""

    throttle_classes = [rules.PackRequestThrottle]

    @extend_schema(responses={200: PackSerializer(many=True), 404: ERRORS[404]}, tags=["packs"])
    def get(self, request: Request, pk: int) -> Response:
        review = visible_review(request.user, pk)
        packs = selectors.packs_of_review(review, limit=None)
        return Response(PackSerializer(packs, many=True, context={"request": request}).data)

    @extend_schema(
        request=None,
        responses={
            200: OpenApiResponse(
                PackSerializer,
                description="Nothing the pack shows has changed since a pack that is ready "
                "(its `download_url` is set) or still being generated: that pack, and no new one.",
            ),
            202: OpenApiResponse(
                PackRequestedSerializer,
                description="A new pack is queued; follow it at /api/v1/packs/{id}/.",
            ),
            403: ERRORS[403],
            404: ERRORS[404],
            429: ERRORS[429],
        },
        tags=["packs"],
        description="Ask for a PDF gate pack of the review as it stands now. When the "
        "review's pack data has the content hash of a pack that is ready or being generated, "
        "the answer is 200 with that pack. Otherwise 202 with the new pack's id; with the "
        "task queue down the pack stays queued and is generated once the queue is back.",
    )
    def post(self, request: Request, pk: int) -> Response:
        review = visible_review(request.user, pk)
        result = services.pack_request(review=review, by=request.user)
        if not result.created:
            return Response(PackSerializer(result.pack, context={"request": request}).data)
        return Response(
            {"id": result.pack.pk, "status": result.pack.status, "message": result.message},
            status=status.HTTP_202_ACCEPTED,
        )


class PackDetailView(APIView):
    """A pack's status: stale, sha256, page count, failure reason, download URL."""

    @extend_schema(responses={200: PackSerializer, 404: ERRORS[404]}, tags=["packs"])
    def get(self, request: Request, pk: int) -> Response:
        pack = selectors.visible_pack(request.user, pk)
        selectors.mark_stale([pack], pack.review)
        return Response(PackSerializer(pack, context={"request": request}).data)


class PackDownloadView(APIView):
    """The pack's PDF, as an attachment."""

    content_negotiation_class = PassthroughNegotiation

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            302: DOWNLOAD_REDIRECT,
            404: ERRORS[404],
            409: ERRORS[409],
        },
        tags=["packs"],
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return pack_file_response(selectors.visible_pack(request.user, pk))


class DashboardView(APIView):
    """The executive dashboard's figures: use cases per stage, conversion,
    the quarter's decisions, regulations in force, use cases in operation and
    their recertifications (due, overdue, the most urgent, the last 12
    months' decisions), and retired against killed. Program leads and
    executives; others 403."""

    @extend_schema(
        responses={200: DashboardSerializer, 403: ERRORS[403]},
        tags=["dashboard"],
    )
    def get(self, request: Request) -> Response:
        if not rules.can_see_dashboard(request.user):
            raise PermissionRefused(rules.DASHBOARD_REFUSAL)
        return Response(DashboardSerializer(dashboard_read.dashboard(user=request.user)).data)
