"""The gate engine in the browser: thin function views over the services.

Every page answers a plain request with the whole page and an htmx request
with the fragment it swaps. Refused transitions (TransitionRefused,
PermissionRefused) go to ``core.middleware``, which shows them in the page's
message area; input refusals (InvalidInput) are shown next to the form field
here, because only the view knows which form it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.api_errors import STORAGE_OUTAGE
from core.errors import InvalidInput
from core.storage import is_storage_unavailable, stored_file_response
from core.web import redirect_after_post, show_refusal
from gates import applicability, crosswalk, forms, rules, selectors, services, uploads
from gates.models import OPEN_REVIEW_STATUSES, Artifact, GateReview, GateTemplate
from usecases import access

# --- Downloads ----------------------------------------------------------------


def artifact_file_response(artifact: Artifact) -> HttpResponse:
    """The stored file as an attachment under the name it was uploaded with,
    in the content type recorded after sniffing at upload (streamed, or a
    redirect to the object store: ``core.storage``). Also used by the API."""
    return stored_file_response(
        artifact.file,
        filename=artifact.original_name,
        content_type=artifact.content_type,
        label=f"artifact {artifact.pk}",
    )


@login_required
@require_GET
def artifact_download(request: HttpRequest, pk: int) -> HttpResponse:
    return artifact_file_response(selectors.visible_artifact(request.user, pk))


# --- Artifacts page -------------------------------------------------------------


@dataclass(frozen=True)
class UploadResult:
    file_name: str
    artifact: Artifact | None = None
    error: str = ""


ARTIFACTS_PAGE_LIMIT = uploads.UploadLimit(
    lambda: settings.ARTIFACT_MAX_BYTES, max_files=forms.MAX_FILES_PER_UPLOAD
)


@uploads.upload_limit(ARTIFACTS_PAGE_LIMIT)
@login_required
@require_http_methods(["GET", "POST"])
def usecase_artifacts(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = access.visible_use_case(request.user, pk)
    can_upload = rules.can_upload(request.user, use_case)
    form = None
    if can_upload:
        posted = request.method == "POST"
        form = forms.ArtifactUploadForm(
            request.POST if posted else None,
            request.FILES if posted else None,
            artifact_types=selectors.active_artifact_types(),
        )
    results: list[UploadResult] = []
    status = 200
    outage: Exception | None = None
    if request.method == "POST":
        if form is None:
            # The service would refuse each file too; refusing here avoids
            # reading the upload at all.
            raise rules.upload_refusal(request.user, use_case)
        # Files past the size limit were dropped while they streamed in.
        stopped = uploads.stopped_upload(request)
        if stopped is not None and (stopped.whole_body or not request.FILES.getlist("files")):
            # Nothing usable arrived: say why next to the file field.
            form.is_valid()
            form.errors.pop("files", None)  # "choose one or more files" would be wrong
            form.add_error("files", stopped.message)
            status = 200 if request.htmx else 400
        elif form.is_valid():
            if stopped is not None:
                results += [
                    UploadResult(file_name=name, error=stopped.message)
                    for name in stopped.file_names
                ]
            # Each file is its own upload: one refused file does not stop the others.
            files = form.cleaned_data["files"]
            for index, upload in enumerate(files):
                try:
                    artifact = services.artifact_upload(
                        use_case=use_case,
                        by=request.user,
                        artifact_type=form.cleaned_data["artifact_type"],
                        file=upload,
                        file_name=upload.name,
                        note=form.cleaned_data["note"],
                    )
                except InvalidInput as error:
                    results.append(UploadResult(file_name=upload.name, error=error.message))
                except Exception as error:
                    if not is_storage_unavailable(error) or not results:
                        raise  # nothing to account for yet: core.middleware's 503 says it all
                    # The store went away after the first file: the page names
                    # what each file became, and those to send again.
                    outage = error
                    results += [
                        UploadResult(file_name=rest.name, error=gettext(STORAGE_OUTAGE.message))
                        for rest in files[index:]
                    ]
                    break
                else:
                    results.append(UploadResult(file_name=upload.name, artifact=artifact))
            if any(r.artifact for r in results):
                form = forms.ArtifactUploadForm(artifact_types=selectors.active_artifact_types())
    context = {
        "use_case": use_case,
        "groups": selectors.artifacts_by_gate(use_case),
        "form": form,
        "results": results,
        "stored": [r for r in results if r.artifact],
        "refused": [r for r in results if not r.artifact],
        "can_upload": can_upload,
        "active_tab": "artifacts",
    }
    template = "gates/usecase_artifacts.html"
    if request.htmx and request.method == "POST":
        template += "#artifacts-body"
    if outage is None:
        return render(request, template, context, status=status)
    # A 503 to retry, as any upload the store refuses. htmx would show a 503
    # in the message area (base.html): this one replaces the page's part.
    response = render(request, template, context, status=503)
    if request.htmx:
        response["HX-Retarget"] = "#artifacts-body"
        response["HX-Reswap"] = "outerHTML"
    STORAGE_OUTAGE.answered(request, response, outage)
    return response


# --- Audit page -------------------------------------------------------------------


@login_required
@require_GET
def usecase_audit(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = access.visible_use_case(request.user, pk)
    page = selectors.audit_events_page(use_case, request.GET.get("page"))
    template = "gates/usecase_audit.html"
    if request.htmx and not request.htmx.boosted:
        template += "#audit-table"
    return render(
        request,
        template,
        {"use_case": use_case, "page_obj": page, "active_tab": "audit"},
    )


@login_required
@require_GET
def usecase_controls(request: HttpRequest, pk: int) -> HttpResponse:
    """The controls crosswalk: each framework control the use case's reviews
    cite, with its evidence, and those no evidence covers yet."""
    use_case = access.visible_use_case(request.user, pk)
    return render(
        request,
        "gates/usecase_controls.html",
        {
            "use_case": use_case,
            "crosswalk": crosswalk.usecase_controls(use_case),
            "active_tab": "controls",
        },
    )


# --- Opening a review, resuming ------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def review_open(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = access.visible_use_case(request.user, pk)
    template = GateTemplate.objects.filter(from_stage=use_case.stage).first()
    form = None
    if template is not None:
        form = forms.OpenReviewForm(
            # An empty POST is valid: every role resolved from who holds it.
            request.POST if request.method == "POST" else None,
            roles=selectors.applicable_approver_roles(template, use_case),
            candidates=selectors.approver_candidates(),
        )
    if request.method == "POST":
        named = form.approvers() if form is not None and form.is_valid() else None
        if form is None or form.is_valid():
            # With no next gate the service gives the refusal, in its words.
            planned = form.cleaned_data.get("planned_date") if form is not None else None
            try:
                review = services.review_open(
                    use_case=use_case, by=request.user, approvers=named, planned_date=planned
                )
            except InvalidInput as error:
                if form is None:
                    raise
                show_refusal(form, error)
            else:
                return redirect_after_post(request, review.get_absolute_url())
    return render(
        request,
        "gates/review_open.html",
        {
            "use_case": use_case,
            "template": template,
            "form": form,
            "can_open": rules.can_open_review(request.user, use_case),
            "open_review": GateReview.objects.filter(
                use_case=use_case, status__in=OPEN_REVIEW_STATUSES
            ).first(),
            # What this use case will face beyond the gate's standard rows, and why.
            "preview": (
                applicability.gate_preview(template, use_case) if template is not None else None
            ),
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Set or move the planned gate date: the chair or a program lead."""
    review = selectors.visible_review(request.user, pk)
    refusal = rules.reschedule_refusal(request.user, review)
    if request.method == "POST" and refusal is not None:
        raise refusal
    form = forms.ReviewScheduleForm(
        request.POST if request.method == "POST" else None,
        initial={"planned_date": review.planned_date},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.review_reschedule(review=review, by=request.user, **form.cleaned_data)
        except InvalidInput as error:
            show_refusal(form, error)
        else:
            return redirect_after_post(request, review.get_absolute_url())
    return render(
        request,
        "gates/review_schedule.html",
        {"review": review, "form": form, "refusal": refusal},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def usecase_resume(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = access.visible_use_case(request.user, pk)
    form = forms.ResumeForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    services.usecase_resume(use_case=use_case, by=request.user, note=note)
    return redirect_after_post(request, use_case.get_absolute_url())


@login_required
@require_POST
def review_submit(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.visible_review(request.user, pk)
    services.review_submit(review=review, by=request.user)
    return redirect_after_post(request, review.get_absolute_url())


@login_required
@require_POST
def condition_close(request: HttpRequest, pk: int) -> HttpResponse:
    condition = selectors.visible_condition(request.user, pk)
    form = forms.ConditionCloseForm(request.POST)
    # An empty note reaches the service, which refuses it with its reason.
    note = form.cleaned_data["note"] if form.is_valid() else request.POST.get("note", "")
    services.condition_close(condition=condition, by=request.user, note=note[:2000])
    return redirect_after_post(
        request, f"{reverse('review-detail', args=[condition.review_id])}#conditions"
    )


# --- Delegations ----------------------------------------------------------------------


def _delegation_form(user, data=None) -> forms.DelegationForm:
    candidates = selectors.approver_candidates().exclude(pk=user.pk)
    return forms.DelegationForm(data, candidates=candidates, auto_id="delegation-%s")


@login_required
@require_http_methods(["GET", "POST"])
def delegations(request: HttpRequest) -> HttpResponse:
    """My delegations, given and received; POST gives a new one."""
    form = _delegation_form(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.delegation_create(by=request.user, **form.cleaned_data)
        except InvalidInput as error:
            show_refusal(form, error)
        else:
            return redirect_after_post(request, reverse("delegations"))
    return render(
        request,
        "gates/delegations.html",
        {"page": selectors.delegations_page(request.user), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def delegation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    delegation = selectors.visible_delegation(request.user, pk)
    services.delegation_revoke(delegation=delegation, by=request.user)
    return redirect_after_post(request, reverse("delegations"))
