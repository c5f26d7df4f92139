"""The review page: the gate engine's review (criteria, artifacts, approvals,
decision) with the readiness summary, the KPI rule and scorecard citation of
each criterion (readiness), its value rule (value) and the gate packs panel
(reporting).

Every in-place action answers an htmx request with the changed row or panel
plus the submit and decision panels as they stand after the change, out of
band, and a plain post with the page. Refused transitions go to
``core.middleware``; input refusals are shown next to the form field.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import InvalidInput
from core.web import redirect_after_post, show_refusal
from gates import forms, read_model, rules, selectors, services
from gates.models import GateReview
from readiness import rules as readiness_rules
from readiness import services as readiness_services
from readiness.forms import KpiRuleForm
from readiness.models import Kpi, PocScorecard
from readiness.selectors import readiness_summary
from reporting.selectors import pack_panel
from value import rollout_rules as value_rules
from value.forms_rollout import ValueRuleForm
from value.services import rules as value_rule_services

TEMPLATE = "front/review_detail.html"
# The approval and decision forms both have a "decision" field and can be on
# one page (the chair is often an approver): keep their element ids apart.
APPROVAL_IDS = "approval-%s"
DECISION_IDS = "gate-decision-%s"
RETURN_IDS = "return-%s"


def _review_context(request: HttpRequest, page: read_model.ReviewRead, **extra) -> dict:
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
        "can_reassign": rules.can_reassign(request.user, review),
        "reassigning_approver_id": None,
        "reassign_form": None,
        "can_reschedule": rules.can_reschedule(request.user, review),
    }
    if page.can_approve:
        # The caller's own seat, or the holder's seat they decide in as delegate.
        mine = page.my_approval or page.acting_for
        initial = {}
        if mine is not None and mine.decision != "pending":
            initial = {"decision": mine.decision, "comment": mine.comment}
        context["approval_form"] = forms.ApprovalForm(initial=initial, auto_id=APPROVAL_IDS)
        context["proposal_formset"] = _proposal_formset(review, criteria=page.criteria)
    if page.can_return:
        context["return_form"] = forms.ReviewReturnForm(auto_id=RETURN_IDS)
    if page.can_decide:
        # The owners and criteria read once for the page: the proposals' and
        # the conditions' rows and the decision's attendees offer the same.
        proposals = context.get("proposal_formset")
        conditions = _condition_formset(
            review, choices=proposals and proposals.choices, criteria=page.criteria
        )
        context["condition_formset"] = conditions
        owners = conditions.choices["owner"] if conditions.choices else None
        context["decision_form"] = _decision_form(page, owner_choices=owners)
    if not request.htmx:
        # The full page only: htmx answers are single rows and panels.
        if review.is_open:
            # The readiness the approvers and the chair weigh: the scorecard
            # band at Gate 2, the checklist at Gate 3, KPIs against targets.
            context["summary"] = readiness_summary(
                use_case=page.use_case, read=page, review_parts=False
            )
        context.update(
            pack_panel(review=review, user=request.user, is_approver=page.my_approval is not None)
        )
    context.update(extra)
    return context


def _condition_kwargs(review: GateReview) -> dict:
    return {
        "owners": selectors.condition_owner_candidates(review),
        "criteria": selectors.review_criteria_choices(review),
    }


def _condition_formset(
    review: GateReview, data=None, choices: dict[str, list] | None = None, criteria=None
) -> forms.BaseConditionFormSet:
    return forms.ConditionFormSet(
        data,
        prefix="conditions",
        form_kwargs=_condition_kwargs(review),
        choices=choices,
        criteria=criteria,
    )


def _proposal_formset(review: GateReview, data=None, criteria=None) -> forms.BaseConditionFormSet:
    """The conditions an approver proposes when approving with conditions."""
    return forms.ProposalFormSet(
        data, prefix="proposals", form_kwargs=_condition_kwargs(review), criteria=criteria
    )


def _decision_form(
    page: read_model.ReviewRead, data=None, owner_choices: list | None = None
) -> forms.DecisionForm:
    """The chair's decision with the gate meeting's record: today and the
    people who voted are proposed; the chair corrects them."""
    review = page.review
    kwargs = {
        "attendees": selectors.condition_owner_candidates(review),
        "owner_choices": owner_choices,
        "proposals": page.open_proposals,
        "auto_id": DECISION_IDS,
        "recertification": review.is_recertification,
        # A recertification's Retire answers the decommissioning checklist.
        "steps": list(selectors.decommissioning_steps()) if review.is_recertification else (),
        # Kill or Retire names its reason from the taxonomy.
        "exit_reasons": list(selectors.exit_reasons()),
    }
    if data is not None:
        return forms.DecisionForm(data, **kwargs)
    voted = [a.user_id for a in page.approvers if a.decision != "pending"]
    return forms.DecisionForm(
        initial={"meeting_date": timezone.localdate(), "attendees": [review.chair_id, *voted]},
        **kwargs,
    )


def _render_review_changed(request: HttpRequest, changed: str, context: dict) -> HttpResponse:
    """The changed part of the page, with the submit and decision panels as
    they stand after the change: one answer, so no panel can be left behind."""
    return render(request, "front/partials/review_changed.html", {**context, "changed": changed})


def _criterion_changed(request: HttpRequest, review: GateReview, criterion) -> HttpResponse:
    """After a criterion's assessment or KPI rule changed: its row (htmx) or
    the review page at that row."""
    if not request.htmx:
        return redirect(f"{review.get_absolute_url()}#criterion-{criterion.pk}")
    page = read_model.review_read(review.pk, request.user)
    fresh = next(c for c in page.criteria if c.pk == criterion.pk)
    return _render_review_changed(
        request,
        TEMPLATE + "#criterion-row",
        _review_context(request, page, criterion=fresh),
    )


@login_required
@require_GET
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = read_model.review_read(pk, request.user)
    return render(request, TEMPLATE, _review_context(request, page))


@login_required
@require_http_methods(["GET", "POST"])
def criterion_assess(request: HttpRequest, pk: int, criterion_id: int) -> HttpResponse:
    """GET: the criterion's row as a form (htmx) or the review page with that
    row open (plain). POST: record the assessment, answer with the row."""
    review = selectors.visible_review(request.user, pk)
    criterion = read_model.criterion_of(review, criterion_id)
    refusal = rules.assess_refusal(request.user, review)
    can_assess = refusal is None
    if request.method == "GET" and request.GET.get("display"):
        # "Cancel": the row as it is.
        if not request.htmx:
            return redirect(f"{review.get_absolute_url()}#criterion-{criterion.pk}")
        return render(
            request,
            TEMPLATE + "#criterion-row",
            {"review": review, "criterion": criterion, "can_assess": can_assess},
        )
    if request.method == "POST" and not can_assess:
        raise refusal
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
                show_refusal(form, error)
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
    value_form=None,
) -> HttpResponse:
    """The criterion's row open for editing: the assessment by hand and, when
    the use case has KPIs, the rule that assesses it from measurements."""
    if criterion_form is None:
        criterion_form = _assess_form(review, criterion)
    if kpi_form is None:
        kpi_form = _kpi_rule_form(review, criterion)
    has_kpis = kpi_form.fields["kpi"].queryset.exists()
    if value_form is None:
        value_form = _value_rule_form(criterion)
    extra = {
        "criterion_form": criterion_form,
        "kpi_form": kpi_form,
        "has_kpis": has_kpis,
        "value_form": value_form,
        "can_bind_value": value_rules.value_rule_refusal(request.user, review.use_case) is None,
    }
    failed = bool(criterion_form.errors or kpi_form.errors or value_form.errors)
    if request.htmx:
        return render(
            request,
            TEMPLATE + "#criterion-edit-row",
            {"review": review, "use_case": review.use_case, "criterion": criterion, **extra},
        )
    page = read_model.review_read(review.pk, request.user)
    return render(
        request,
        TEMPLATE,
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
            "status": criterion.status if criterion.status != "pending" else "",
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
    criterion = read_model.criterion_of(review, criterion_id)
    readiness_rules.ensure_can_write(request.user, review.use_case)
    if request.POST.get("unbind"):
        readiness_services.kpi_rule_unbind(
            review_criterion=criterion, by=request.user, reason=request.POST.get("reason", "")
        )
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
                show_refusal(form, error)
        if form.errors:
            return _render_edit_row(request, review, criterion, kpi_form=form)
    return _criterion_changed(request, review, criterion)


def _value_rule_form(criterion, data=None) -> ValueRuleForm:
    """The value rule part of the edit row, filled from the criterion's rule."""
    auto_id = f"criterion-{criterion.pk}-value-%s"
    if data is not None:
        return ValueRuleForm(data, auto_id=auto_id)
    rule = getattr(criterion, "value_rule", None)
    initial = {}
    if rule is not None:
        initial = {"metric": rule.metric, "operator": rule.operator, "threshold": rule.threshold}
    return ValueRuleForm(initial=initial, auto_id=auto_id)


@login_required
@require_POST
def criterion_value_rule(request: HttpRequest, pk: int, criterion_id: int) -> HttpResponse:
    """Bind the criterion to a value rule (ROI, NPV, payback, adoption against
    the pilot; assessed at once), or with ``unbind`` go back to assessing it
    by hand."""
    review = selectors.visible_review(request.user, pk)
    criterion = read_model.criterion_of(review, criterion_id)
    refusal = value_rules.value_rule_refusal(request.user, review.use_case)
    if refusal is not None:
        raise refusal
    if request.POST.get("unbind"):
        value_rule_services.value_rule_unbind(
            review_criterion=criterion, by=request.user, reason=request.POST.get("reason", "")
        )
    else:
        form = _value_rule_form(criterion, request.POST)
        if form.is_valid():
            try:
                value_rule_services.value_rule_bind(
                    review_criterion=criterion, by=request.user, **form.cleaned_data
                )
            except InvalidInput as error:
                show_refusal(form, error)
        if form.errors:
            return _render_edit_row(request, review, criterion, value_form=form)
    return _criterion_changed(request, review, criterion)


@login_required
@require_POST
def approval_record(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.visible_review(request.user, pk)
    form = forms.ApprovalForm(request.POST, auto_id=APPROVAL_IDS)
    # A post without the proposal rows (a plain "approve") proposes nothing.
    posted = "proposals-TOTAL_FORMS" in request.POST
    proposals = _proposal_formset(review, request.POST if posted else None)
    if form.is_valid() and form.cleaned_data["return_for_rework"]:
        try:
            services.approval_reject_and_return(
                review=review, approver=request.user, comment=form.cleaned_data["comment"]
            )
        except InvalidInput as error:
            show_refusal(form, error)
        else:
            # The whole page changes: the review is open again.
            return redirect_after_post(request, review.get_absolute_url())
    elif form.is_valid() and (not posted or proposals.is_valid()):
        try:
            services.approval_record(
                review=review,
                approver=request.user,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
                conditions=proposals.conditions() if posted else [],
            )
        except InvalidInput as error:
            show_refusal(form, error)
        else:
            if not request.htmx:
                return redirect(f"{review.get_absolute_url()}#approvals")
            page = read_model.review_read(review.pk, request.user)
            return _render_review_changed(
                request, TEMPLATE + "#approvals", _review_context(request, page)
            )
    page = read_model.review_read(review.pk, request.user)
    if not page.can_approve:
        # Only reached with an invalid form; a valid one goes to the service,
        # which gives this same refusal.
        raise page.delegate_refusal or rules.approval_refusal(
            page.review,
            page.my_approval,
            delegate=request.user,
            acting_for=[page.acting_for] if page.acting_for else (),
        )
    context = _review_context(request, page, approval_form=form, proposal_formset=proposals)
    if request.htmx:
        return render(request, TEMPLATE + "#approvals", context)
    return render(request, TEMPLATE, context, status=400)


def _reassign_form(review: GateReview, row, data=None) -> forms.ApproverReassignForm:
    candidates = selectors.approver_candidates().exclude(pk=row.user_id)
    return forms.ApproverReassignForm(data, candidates=candidates, auto_id="reassign-%s")


@login_required
@require_http_methods(["GET", "POST"])
def approver_reassign(request: HttpRequest, pk: int, approver_id: int) -> HttpResponse:
    """The chair gives a seat to someone else. GET: the approvals panel with
    that seat open as a form (htmx) or the review page so (plain); with
    ``display``, the panel as it is. POST: reassign, answer with the panel
    and the submit and decision panels out of band."""
    review = selectors.visible_review(request.user, pk)
    row = read_model.approver_of(review, approver_id)
    refusal = rules.reassign_refusal(request.user, review)
    if request.method == "POST" and refusal is not None:
        raise refusal
    if request.method == "GET" and (refusal is not None or request.GET.get("display")):
        if not request.htmx:
            return redirect(f"{review.get_absolute_url()}#approvals")
        page = read_model.review_read(review.pk, request.user)
        return render(request, TEMPLATE + "#approvals", _review_context(request, page))
    if request.method == "POST":
        form = _reassign_form(review, row, request.POST)
        if form.is_valid():
            try:
                services.approver_reassign(
                    review=review,
                    by=request.user,
                    approver_row=row,
                    to_user=form.cleaned_data["user"],
                    reason=form.cleaned_data["reason"],
                )
            except InvalidInput as error:
                show_refusal(form, error)
                if error.field in form.fields:
                    # Which rules the new seating would break, next to the person chosen.
                    for reason in error.reasons:
                        form.add_error(error.field, reason)
            else:
                if not request.htmx:
                    return redirect(f"{review.get_absolute_url()}#approvals")
                page = read_model.review_read(review.pk, request.user)
                return _render_review_changed(
                    request, TEMPLATE + "#approvals", _review_context(request, page)
                )
    else:
        form = _reassign_form(review, row)
    page = read_model.review_read(review.pk, request.user)
    context = _review_context(request, page, reassigning_approver_id=row.pk, reassign_form=form)
    if request.htmx:
        return render(request, TEMPLATE + "#approvals", context)
    return render(request, TEMPLATE, context, status=400 if form.errors else 200)


@login_required
@require_POST
def gate_decide(request: HttpRequest, pk: int) -> HttpResponse:
    page = read_model.review_read(pk, request.user)
    review = page.review
    form = _decision_form(page, request.POST)
    formset = _condition_formset(review, request.POST)
    if form.is_valid() and formset.is_valid():
        exit_reason, lessons_learned = form.exit()
        try:
            services.gate_decide(
                review=review,
                by=request.user,
                decision=form.cleaned_data["decision"],
                rationale=form.cleaned_data["rationale"],
                conditions=formset.conditions(),
                adopt=list(form.cleaned_data.get("adopt") or ()),
                meeting_date=form.cleaned_data["meeting_date"],
                attendees=list(form.cleaned_data["attendees"]),
                guests=form.cleaned_data["guests"],
                minutes=form.cleaned_data["minutes"],
                decommissioning=form.decommissioning(),
                exit_reason=exit_reason,
                lessons_learned=lessons_learned,
            )
        except InvalidInput as error:
            show_refusal(form, error)
        else:
            return redirect_after_post(request, review.get_absolute_url())
    page = read_model.review_read(review.pk, request.user)
    if not page.can_decide:
        raise rules.decision_refusal(request.user, page.review)
    context = _review_context(request, page, decision_form=form, condition_formset=formset)
    if request.htmx:
        return render(request, TEMPLATE + "#decision-panel", context)
    return render(request, TEMPLATE, context, status=400)


@login_required
@require_POST
def review_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Return a submitted review to the team for rework, with a reason. The
    whole page changes (the review is open again): htmx navigates to it, a
    plain post is redirected. A missing reason re-renders the return panel."""
    review = selectors.visible_review(request.user, pk)
    form = forms.ReviewReturnForm(request.POST, auto_id=RETURN_IDS)
    if form.is_valid():
        try:
            services.review_return(
                review=review, by=request.user, reason=form.cleaned_data["reason"]
            )
        except InvalidInput as error:
            show_refusal(form, error)
        else:
            return redirect_after_post(request, review.get_absolute_url())
    page = read_model.review_read(review.pk, request.user)
    if not page.can_return:
        # Only reached with an invalid form; a valid one goes to the service,
        # which gives this same refusal.
        refusal = services.return_refusal_for(review=page.review, by=request.user)
        if refusal is not None:
            raise refusal
    context = _review_context(request, page, return_form=form)
    if request.htmx:
        return render(request, TEMPLATE + "#return-panel", context)
    return render(request, TEMPLATE, context, status=400)
