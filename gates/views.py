"""The gate engine in the browser: thin function views over the services.

Every page answers a plain request with the whole page and an htmx request
with the fragment it swaps. Refused transitions (TransitionRefused,
PermissionRefused) go to ``core.middleware``, which shows them in the page's
message area; input refusals (InvalidInput) are shown next to the form field
here, because only the view knows which form it came from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from core.errors import DomainError, InvalidInput, PermissionRefused, TransitionRefused
from gates import forms, rules, selectors, services
from gates.models import Artifact, GateReview, GateTemplate
from readiness import rules as readiness_rules
from readiness import services as readiness_services
from readiness.forms import KpiRuleForm
from readiness.models import Kpi, PocScorecard
from readiness.selectors import readiness_summary
from reporting.selectors import pack_panel
from usecases.models import Status

logger = logging.getLogger(__name__)

# The approval and decision forms both have a "decision" field and can be on
# one page (the chair is often an approver): keep their element ids apart.
APPROVAL_IDS = "approval-%s"
DECISION_IDS = "gate-decision-%s"


def _redirect_or_client_redirect(request: HttpRequest, url: str) -> HttpResponse:
    # htmx would swap a redirected page into the form's target; tell it to
    # navigate instead.
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


# --- Downloads ----------------------------------------------------------------


def artifact_file_response(artifact: Artifact) -> FileResponse:
    """The stored file as an attachment under the name it was uploaded with.

    Also used by the API. The content type is the one recorded after sniffing
    at upload, and nosniff stops a browser second-guessing it."""
    try:
        handle = artifact.file.open("rb")
    except FileNotFoundError:
        logger.error("artifact %s: stored file %s is missing", artifact.pk, artifact.file.name)
        raise Http404("The stored file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=artifact.original_name,
        content_type=artifact.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def artifact_download(request: HttpRequest, pk: int) -> FileResponse:
    return artifact_file_response(selectors.visible_artifact(request.user, pk))


# --- Artifacts page -------------------------------------------------------------


@dataclass(frozen=True)
class UploadResult:
    file_name: str
    artifact: Artifact | None = None
    error: str = ""


@login_required
@require_http_methods(["GET", "POST"])
def usecase_artifacts(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = selectors.visible_use_case(request.user, pk)
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
    if request.method == "POST":
        if form is None:
            # The service would refuse each file too; refusing here avoids
            # reading the upload at all.
            raise PermissionRefused(
                "Only the use case's sponsor, technical lead, contributors and program leads "
                "may upload artifacts."
            )
        if form.is_valid():
            # Each file is its own upload: one refused file does not stop the others.
            for upload in form.cleaned_data["files"]:
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
    return render(request, template, context)


# --- Audit page -------------------------------------------------------------------


@login_required
@require_GET
def usecase_audit(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = selectors.visible_use_case(request.user, pk)
    page = selectors.audit_events_page(use_case, request.GET.get("page"))
    template = "gates/usecase_audit.html"
    if request.htmx and not request.htmx.boosted:
        template += "#audit-table"
    return render(
        request,
        template,
        {"use_case": use_case, "page_obj": page, "active_tab": "audit"},
    )


# --- Opening a review, resuming ------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def review_open(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = selectors.visible_use_case(request.user, pk)
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
            try:
                review = services.review_open(use_case=use_case, by=request.user, approvers=named)
            except InvalidInput as error:
                if form is None:
                    raise
                forms.add_service_error(form, error)
            else:
                return _redirect_or_client_redirect(request, review.get_absolute_url())
    return render(
        request,
        "gates/review_open.html",
        {
            "use_case": use_case,
            "template": template,
            "form": form,
            "can_open": rules.can_open_review(request.user, use_case),
            "open_review": GateReview.objects.filter(
                use_case=use_case, status__in=["open", "submitted"]
            ).first(),
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_POST
def usecase_resume(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = selectors.visible_use_case(request.user, pk)
    form = forms.ResumeForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    services.usecase_resume(use_case=use_case, by=request.user, note=note)
    return _redirect_or_client_redirect(request, use_case.get_absolute_url())


# --- The review page ----------------------------------------------------------------


def _review_context(request: HttpRequest, page: selectors.ReviewPage, **extra) -> dict:
    review = page.review
    context = {
        "page": page,
        "review": review,
        "use_case": page.use_case,
        "can_assess": page.can_assess,
        "editing_criterion_id": None,
        "criterion_form": None,
        "approval_form": None,
        "decision_form": None,
        "condition_formset": None,
    }
    if page.can_approve:
        mine = page.my_approval
        initial = {}
        if mine is not None and mine.decision != "pending":
            initial = {"decision": mine.decision, "comment": mine.comment}
        context["approval_form"] = forms.ApprovalForm(initial=initial, auto_id=APPROVAL_IDS)
    if page.can_decide:
        context["decision_form"] = forms.DecisionForm(auto_id=DECISION_IDS)
        context["condition_formset"] = forms.ConditionFormSet(
            prefix="conditions",
            form_kwargs={"owners": selectors.condition_owner_candidates(review)},
        )
    if not request.htmx:
        # The full page only: htmx answers are single rows and panels.
        if review.is_open:
            # The readiness the approvers and the chair weigh: the scorecard
            # band at Gate 2, the checklist at Gate 3, KPIs against targets.
            context["summary"] = readiness_summary(use_case=page.use_case, review=review)
        context.update(
            pack_panel(review=review, user=request.user, is_approver=page.my_approval is not None)
        )
    context.update(extra)
    return context


def _render_review_changed(request: HttpRequest, changed: str, context: dict) -> HttpResponse:
    """The changed part of the page, with the submit and decision panels as
    they stand after the change: one answer, so no panel can be left behind."""
    return render(request, "gates/partials/review_changed.html", {**context, "changed": changed})


def _criterion_changed(request: HttpRequest, review: GateReview, criterion) -> HttpResponse:
    """After a criterion's assessment or KPI rule changed: its row (htmx) or
    the review page at that row."""
    if not request.htmx:
        return redirect(f"{review.get_absolute_url()}#criterion-{criterion.pk}")
    page = selectors.review_page(review.pk, request.user)
    fresh = next(c for c in page.criteria if c.pk == criterion.pk)
    return _render_review_changed(
        request,
        "gates/review_detail.html#criterion-row",
        _review_context(request, page, criterion=fresh),
    )


@login_required
@require_GET
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = selectors.review_page(pk, request.user)
    return render(request, "gates/review_detail.html", _review_context(request, page))


@login_required
@require_http_methods(["GET", "POST"])
def criterion_assess(request: HttpRequest, pk: int, criterion_id: int) -> HttpResponse:
    """GET: the criterion's row as a form (htmx) or the review page with that
    row open (plain). POST: record the assessment, answer with the row."""
    review = selectors.visible_review(request.user, pk)
    criterion = selectors.criterion_of(review, criterion_id)
    can_assess = rules.can_assess(request.user, review) and review.use_case.status != (
        Status.KILLED
    )
    if request.method == "GET" and request.GET.get("display"):
        # "Cancel": the row as it is.
        if not request.htmx:
            return redirect(f"{review.get_absolute_url()}#criterion-{criterion.pk}")
        return render(
            request,
            "gates/review_detail.html#criterion-row",
            {"review": review, "criterion": criterion, "can_assess": can_assess},
        )
    if request.method == "POST" and not can_assess:
        raise _assess_refusal(review)
    if request.method == "POST":
        form = _assess_form(review, criterion, request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    services.criterion_assess(
                        review=review,
                        criterion=criterion,
                        by=request.user,
                        status=form.cleaned_data["status"],
                        evidence=form.cleaned_data["evidence"],
                        artifacts=form.cleaned_data["artifacts"],
                    )
                    if form.scorecard is not None:
                        cite = form.cleaned_data["cite_scorecard"]
                        readiness_services.criterion_scorecard_cite(
                            review_criterion=criterion,
                            by=request.user,
                            scorecard=form.scorecard if cite else None,
                        )
            except InvalidInput as error:
                forms.add_service_error(form, error)
            else:
                return _criterion_changed(request, review, criterion)
    else:
        if not can_assess:
            # Nothing to edit: show the page as it is.
            return redirect(f"{review.get_absolute_url()}#criterion-{criterion.pk}")
        form = _assess_form(review, criterion)
    return _render_edit_row(request, review, criterion, criterion_form=form)


def _render_edit_row(
    request: HttpRequest,
    review: GateReview,
    criterion,
    *,
    criterion_form=None,
    kpi_form=None,
) -> HttpResponse:
    """The criterion's row open for editing: the assessment by hand and, when
    the use case has KPIs, the rule that assesses it from measurements."""
    if criterion_form is None:
        criterion_form = _assess_form(review, criterion)
    if kpi_form is None:
        kpi_form = _kpi_rule_form(review, criterion)
    has_kpis = kpi_form.fields["kpi"].queryset.exists()
    extra = {"criterion_form": criterion_form, "kpi_form": kpi_form, "has_kpis": has_kpis}
    failed = bool(criterion_form.errors or kpi_form.errors)
    if request.htmx:
        return render(
            request,
            "gates/review_detail.html#criterion-edit-row",
            {"review": review, "use_case": review.use_case, "criterion": criterion, **extra},
        )
    page = selectors.review_page(review.pk, request.user)
    return render(
        request,
        "gates/review_detail.html",
        _review_context(request, page, editing_criterion_id=criterion.pk, **extra),
        status=400 if failed else 200,
    )


def _assess_form(review: GateReview, criterion, data=None) -> forms.CriterionAssessForm:
    # Several rows can be open for editing at once: keep their ids apart.
    auto_id = f"criterion-{criterion.pk}-%s"
    linkable = selectors.artifacts_of(review.use_case)
    scorecard = PocScorecard.objects.filter(use_case=review.use_case).order_by("-version").first()
    kwargs = {"artifacts": linkable, "scorecard": scorecard, "auto_id": auto_id}
    if data is not None:
        return forms.CriterionAssessForm(data, **kwargs)
    return forms.CriterionAssessForm(
        initial={
            "status": criterion.status if criterion.status != "pending" else "met",
            "evidence": criterion.evidence,
            "artifacts": [a.pk for a in criterion.linked],
            "cite_scorecard": any(s.pk == getattr(scorecard, "pk", None) for s in criterion.cited),
        },
        **kwargs,
    )


def _kpi_rule_form(review: GateReview, criterion, data=None) -> KpiRuleForm:
    """The KPI rule part of the edit row, over the use case's KPIs; filled
    from the criterion's rule when it has one."""
    kpis = Kpi.objects.filter(use_case=review.use_case).order_by("name")
    auto_id = f"criterion-{criterion.pk}-kpi-%s"
    if data is not None:
        return KpiRuleForm(data, kpis=kpis, auto_id=auto_id)
    rule = getattr(criterion, "kpi_rule", None)
    initial = {}
    if rule is not None:
        initial = {"kpi": rule.kpi_id, "operator": rule.operator, "threshold": rule.threshold}
    return KpiRuleForm(initial=initial, kpis=kpis, auto_id=auto_id)


@login_required
@require_POST
def criterion_kpi_rule(request: HttpRequest, pk: int, criterion_id: int) -> HttpResponse:
    """Bind the criterion to a KPI rule (assessed at once from the latest
    measurement), or with ``unbind`` go back to assessing it by hand."""
    review = selectors.visible_review(request.user, pk)
    criterion = selectors.criterion_of(review, criterion_id)
    readiness_rules.ensure_can_write(request.user, review.use_case)
    if request.POST.get("unbind"):
        readiness_services.kpi_rule_unbind(review_criterion=criterion, by=request.user)
    else:
        form = _kpi_rule_form(review, criterion, request.POST)
        if form.is_valid():
            try:
                readiness_services.kpi_rule_bind(
                    review_criterion=criterion,
                    kpi=form.cleaned_data["kpi"],
                    by=request.user,
                    operator=form.cleaned_data["operator"],
                    threshold=form.cleaned_data["threshold"],
                )
            except InvalidInput as error:
                forms.add_service_error(form, error)
        if form.errors:
            return _render_edit_row(request, review, criterion, kpi_form=form)
    return _criterion_changed(request, review, criterion)


@login_required
@require_POST
def review_submit(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.visible_review(request.user, pk)
    services.review_submit(review=review, by=request.user)
    return _redirect_or_client_redirect(request, review.get_absolute_url())


@login_required
@require_POST
def approval_record(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.visible_review(request.user, pk)
    form = forms.ApprovalForm(request.POST, auto_id=APPROVAL_IDS)
    if form.is_valid():
        try:
            services.approval_record(
                review=review,
                approver=request.user,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
            )
        except InvalidInput as error:
            forms.add_service_error(form, error)
        else:
            if not request.htmx:
                return redirect(f"{review.get_absolute_url()}#approvals")
            page = selectors.review_page(review.pk, request.user)
            return _render_review_changed(
                request, "gates/review_detail.html#approvals", _review_context(request, page)
            )
    page = selectors.review_page(review.pk, request.user)
    if not page.can_approve:
        raise _approval_refusal(page)
    context = _review_context(request, page, approval_form=form)
    if request.htmx:
        return render(request, "gates/review_detail.html#approvals", context)
    return render(request, "gates/review_detail.html", context, status=400)


@login_required
@require_POST
def gate_decide(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.visible_review(request.user, pk)
    owners = selectors.condition_owner_candidates(review)
    form = forms.DecisionForm(request.POST, auto_id=DECISION_IDS)
    formset = forms.ConditionFormSet(
        request.POST, prefix="conditions", form_kwargs={"owners": owners}
    )
    if form.is_valid() and formset.is_valid():
        try:
            services.gate_decide(
                review=review,
                by=request.user,
                decision=form.cleaned_data["decision"],
                rationale=form.cleaned_data["rationale"],
                conditions=formset.conditions(),
            )
        except InvalidInput as error:
            forms.add_service_error(form, error)
        else:
            return _redirect_or_client_redirect(request, review.get_absolute_url())
    page = selectors.review_page(review.pk, request.user)
    if not page.can_decide:
        raise _decision_refusal(page)
    context = _review_context(request, page, decision_form=form, condition_formset=formset)
    if request.htmx:
        return render(request, "gates/review_detail.html#decision-panel", context)
    return render(request, "gates/review_detail.html", context, status=400)


def _read_only_refusal() -> TransitionRefused:
    return TransitionRefused(
        "This use case was killed at a gate; it is read-only.", ["Killed use cases are terminal."]
    )


def _assess_refusal(review: GateReview) -> DomainError:
    # The same refusals services.criterion_assess gives, before parsing a form
    # the person may not submit.
    if review.use_case.status == Status.KILLED:
        return _read_only_refusal()
    if review.status != "open":
        return TransitionRefused(
            "Criteria can be assessed only while the review is open.",
            [f"The review is {review.get_status_display().lower()}."],
        )
    return PermissionRefused("Only the use case's team and program leads assess the gate criteria.")


def _approval_refusal(page: selectors.ReviewPage) -> DomainError:
    # Only reached with an invalid form; a valid one goes to the service,
    # which gives these same refusals.
    if page.read_only:
        return _read_only_refusal()
    if page.my_approval is None:
        return PermissionRefused(
            "You are not a named approver of this review; only named approvers record a "
            "decision, each their own."
        )
    return TransitionRefused(
        "Approvals are recorded on a submitted review.",
        [f"The review is {page.review.get_status_display().lower()}."],
    )


def _decision_refusal(page: selectors.ReviewPage) -> DomainError:
    if page.read_only:
        return _read_only_refusal()
    if not page.review.is_open:
        return TransitionRefused("The gate has already been decided.")
    chair = page.review.chair
    return PermissionRefused(
        f"Only the chair of this gate ({chair.get_full_name() or chair.get_username()}) "
        "records its decision."
    )


@login_required
@require_POST
def condition_close(request: HttpRequest, pk: int) -> HttpResponse:
    condition = selectors.visible_condition(request.user, pk)
    form = forms.ConditionCloseForm(request.POST)
    # An empty note reaches the service, which refuses it with its reason.
    note = form.cleaned_data["note"] if form.is_valid() else request.POST.get("note", "")
    services.condition_close(condition=condition, by=request.user, note=note[:2000])
    return _redirect_or_client_redirect(
        request, f"{reverse('review-detail', args=[condition.review_id])}#conditions"
    )
