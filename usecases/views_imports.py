"""The bulk import page and its templates.

Upload a file: the page runs a dry run and shows every problem (row, column,
message). When the file is clean it offers "Import N use cases": the file's
bytes are kept in Django's cache for an hour under the person and the file's
SHA-256, and the button sends only the hash; the import reads the bytes back
and validates everything again. A hash the cache no longer holds (expired,
or another web process without ``CACHE_IN_REDIS``) asks for the file again.
"""

from __future__ import annotations

import csv
import hashlib
import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from core.cache import forget
from core.errors import InvalidInput, PermissionRefused
from core.throttling import RequestThrottled, ensure_not_throttled
from usecases import access, imports, rules, services

TEMPLATE = "usecases/usecase_import.html"
KEEP_SECONDS = 3600
HASH_LENGTH = 64


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("A .csv (UTF-8, comma or semicolon) or .xlsx file."),
    )


def _require_creator(request: HttpRequest) -> None:
    try:
        services.usecase_ensure_creatable(by=request.user)
    except PermissionRefused as exc:
        raise PermissionDenied(str(exc)) from exc


def _cache_key(request: HttpRequest, digest: str) -> str:
    return f"usecase-import:{request.user.pk}:{digest}"


def _columns() -> list[dict[str, object]]:
    return [
        {
            "name": column.name,
            "label": column.label,
            "required": column.required,
            "allowed": imports.column_allowed(column),
        }
        for column in imports.import_columns()
    ]


def _render(request: HttpRequest, form: ImportUploadForm, **context: object) -> HttpResponse:
    status = context.pop("status", 200)
    return render(
        request,
        TEMPLATE,
        {"form": form, "columns": _columns(), **context},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def usecase_import(request: HttpRequest) -> HttpResponse:
    _require_creator(request)
    if request.method == "GET":
        return _render(request, ImportUploadForm())
    if "confirm" in request.POST:
        return _confirm(request)
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        ensure_not_throttled(request, rules.UseCaseImportThrottle)
        report = services.usecase_import(
            by=request.user, file=upload, dry_run=True, file_name=upload.name
        )
    except (InvalidInput, RequestThrottled) as exc:
        form.add_error("file", exc.message)
        return _render(request, form, status=exc.status_code)
    digest = ""
    if report.clean:
        upload.seek(0)
        content = upload.read()
        digest = hashlib.sha256(content).hexdigest()
        cache.set(_cache_key(request, digest), (upload.name, content), KEEP_SECONDS)
    return _render(request, ImportUploadForm(), report=report, digest=digest)


def _confirm(request: HttpRequest) -> HttpResponse:
    digest = request.POST.get("confirm", "")
    kept = None
    if len(digest) == HASH_LENGTH and all(c in "0123456789abcdef" for c in digest):
        kept = cache.get(_cache_key(request, digest))
    if kept is None:
        return _render(
            request,
            ImportUploadForm(),
            error=_("The checked file is no longer kept here: upload it again to import it."),
            status=400,
        )
    name, content = kept
    try:
        ensure_not_throttled(request, rules.UseCaseImportThrottle)
        report = services.usecase_import(
            by=request.user, file=io.BytesIO(content), dry_run=False, file_name=name
        )
    except services.ImportRefused as exc:
        # Something changed since the dry run (a unit's members, a title).
        return _render(request, ImportUploadForm(), report=exc.report, digest="", status=400)
    except (InvalidInput, RequestThrottled) as exc:
        return _render(request, ImportUploadForm(), error=exc.message, status=exc.status_code)
    # Imported: a cache that stops answering now keeps the file until it expires.
    forget(_cache_key(request, digest))
    count = len(report.created)
    messages.success(
        request,
        ngettext(
            "Imported %(count)s use case from %(file)s.",
            "Imported %(count)s use cases from %(file)s.",
            count,
        )
        % {"count": count, "file": name},
    )
    return redirect("portfolio")


# --- Templates ----------------------------------------------------------------------


def _example_row(request: HttpRequest) -> list[str]:
    unit = access.proposable_business_units(request.user).first()
    row = []
    for column in imports.import_columns():
        if column.name == "business_unit":
            row.append(unit.code if unit else "")
        else:
            row.append(column.example)
    return row


def _attachment(content: bytes | str, content_type: str, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def import_template_csv(request: HttpRequest) -> HttpResponse:
    """The header row and one example row that imports as it is."""
    _require_creator(request)
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
    writer = csv.writer(out)
    writer.writerow([column.name for column in imports.import_columns()])
    writer.writerow(_example_row(request))
    return _attachment(out.getvalue(), "text/csv; charset=utf-8", "use-case-import.csv")


@login_required
@require_GET
def import_template_xlsx(request: HttpRequest) -> HttpResponse:
    """The header row and one example row on the first sheet (the one the
    import reads), and a "columns" sheet saying what each column takes."""
    from openpyxl import Workbook

    _require_creator(request)
    book = Workbook()
    sheet = book.active
    sheet.title = _("use cases")[:31]
    columns = imports.import_columns()
    sheet.append([column.name for column in columns])
    sheet.append(_example_row(request))
    notes = book.create_sheet(_("columns")[:31])
    notes.append([_("column"), _("required"), _("what it takes")])
    for column in columns:
        notes.append(
            [column.name, _("yes") if column.required else _("no"), imports.column_allowed(column)]
        )
    out = io.BytesIO()
    book.save(out)
    return _attachment(out.getvalue(), imports.XLSX_TYPE, "use-case-import.xlsx")
