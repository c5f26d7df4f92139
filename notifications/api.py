"""The caller's notifications over the API. Only ever the caller's: another
person's notification is a 404, like one that does not exist."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import InvalidInput
from notifications import selectors, services
from notifications.serializers import MarkedSerializer, NotificationSerializer

TRUE = {"true", "1", "yes"}
FALSE = {"false", "0", "no", ""}


class NotificationListView(ListAPIView):
    """The caller's notifications, newest first."""

    serializer_class = NotificationSerializer
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only unread notifications.")
        ],
        tags=["notifications"],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        raw = self.request.query_params.get("unread", "").strip().lower()
        if raw not in TRUE | FALSE:
            raise InvalidInput("unread must be true or false.", field="unread")
        return selectors.inbox(self.request.user, unread_only=raw in TRUE)


class NotificationReadView(APIView):
    @extend_schema(request=None, responses=NotificationSerializer, tags=["notifications"])
    def post(self, request: Request, pk: int) -> Response:
        notification = selectors.notification_of(request.user, pk)
        services.notification_mark_read(notification=notification)
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllView(APIView):
    @extend_schema(request=None, responses=MarkedSerializer, tags=["notifications"])
    def post(self, request: Request) -> Response:
        return Response({"marked": services.notifications_mark_all_read(user=request.user)})
