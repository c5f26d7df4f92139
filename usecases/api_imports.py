"""Bulk import of use cases through the API: a thin view over
``services.usecase_import``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_errors import error_body
from core.schema import ErrorSerializer
from core.throttling import ThrottledAPIView
from usecases import rules, services


class UseCaseImportInput(serializers.Serializer):
    file = serializers.FileField(
        help_text=_(
            "A .csv (UTF-8, comma or semicolon) or .xlsx file; its first row names the columns."
        )
    )
    dry_run = serializers.BooleanField(
        help_text=_("true: report the problems and change nothing; false: import all rows or none.")
    )


class UseCaseImportProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        help_text=_("The row as a spreadsheet program numbers it: the header is row 1.")
    )
    column = serializers.CharField(
        allow_blank=True, help_text=_("The column's name; empty for the row as a whole.")
    )
    message = serializers.CharField()


class UseCaseImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    rows = serializers.IntegerField(help_text=_("Data rows read from the file."))
    created = serializers.ListField(
        child=serializers.IntegerField(),
        help_text=_("Ids of the use cases created; empty on a dry run."),
    )
    problems = UseCaseImportProblemSerializer(many=True)


class UseCaseImportRefusedSerializer(ErrorSerializer):
    """The error shape; when the rows were refused, with the import's report
    (a file that cannot be read at all has no report: ``fields.file`` says why)."""

    dry_run = serializers.BooleanField(required=False)
    rows = serializers.IntegerField(required=False, help_text=_("Data rows read from the file."))
    created = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text=_("Always empty here.")
    )
    problems = UseCaseImportProblemSerializer(many=True, required=False)


def report_data(report: services.ImportReport) -> dict[str, Any]:
    return {
        "dry_run": report.dry_run,
        "rows": report.rows,
        "created": report.created,
        "problems": [
            {"row": p.row, "column": p.column, "message": p.message} for p in report.problems
        ],
    }


class UseCaseImportView(ThrottledAPIView, APIView):
    """Import use cases from a CSV or XLSX file (the columns of
    ``/use-cases/import/template.csv``), all rows or none. A dry run answers
    200 with every problem and changes nothing; an import answers 201 with
    the new ids, or 400 with the same report when any row has a problem.
    At most IMPORT_MAX_ROWS rows and IMPORT_MAX_BYTES bytes; THROTTLE_IMPORTS
    imports per person (429)."""

    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [rules.UseCaseImportThrottle]
    error_serializers = {400: UseCaseImportRefusedSerializer}

    @extend_schema(
        request={"multipart/form-data": UseCaseImportInput},
        responses={
            200: OpenApiResponse(
                UseCaseImportReportSerializer, description="The dry run's report."
            ),
            201: OpenApiResponse(
                UseCaseImportReportSerializer, description="Imported: the new ids."
            ),
            400: OpenApiResponse(
                description="The file cannot be read (`fields.file`), or an import was refused "
                "for its rows' problems: nothing was created; `problems` lists each."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        services.usecase_ensure_creatable(by=request.user)
        data = UseCaseImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        try:
            report = services.usecase_import(
                by=request.user,
                file=upload,
                dry_run=data.validated_data["dry_run"],
                file_name=upload.name,
            )
        except services.ImportRefused as exc:
            body = error_body(exc.message, exc.reasons, {"file": [exc.message]})
            return Response({**body, **report_data(exc.report)}, status=400)
        code = status.HTTP_200_OK if report.dry_run else status.HTTP_201_CREATED
        return Response(UseCaseImportReportSerializer(report_data(report)).data, status=code)
