"""The pages and endpoints that list rows, and the forms and details that
read them, at two sizes: after ``grow(2)`` and after ``grow(4)`` more (6 of
each).

For each route: grow to the first size, request it once (to warm the
per-process caches: content types, translations, the session), count the
queries of a second request; grow to the second size, warm, count again. The
two counts must be equal, not under a ceiling: a query per row shows as four
more. The larger size must also show more rows (items of the JSON list, rows
of the page or the file), so that a route answering nothing cannot pass.

``grow`` adds its rows through the services, as people and administrators
would (gate reviews opened, submitted, approved and decided; artifacts
uploaded; KPIs measured; framework rows added by an administrator), only of
the kinds a route reads: building every kind for each of the routes would
take minutes. A route whose list is fixed reference data (the risk
questionnaire, the cost multipliers: one per category) is still counted at
two sizes of the portfolio, and says so.
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gates import services as gates
from gates.models import ArtifactType, Control, ExitReason, GateCriterion, GateReview, GateTemplate
from readiness import services as readiness
from readiness.models import ChecklistItemDefinition, ChecklistStatus, ScorecardItem
from reporting import services as reporting
from tests.factories import UseCaseFactory, UserFactory, classify
from tests.gates.helpers import (
    approve_all,
    isolate,
    make_submitted_review,
    pass_gate,
    text_file,
    upload_required,
)
from tests.usecases.custom_field_helpers import administrator
from usecases import services as usecases
from usecases.models import BusinessUnit, CustomField, MemberRole, Stage
from usecases.people import PeoplePicker
from value import services as value

pytestmark = pytest.mark.django_db

FIRST = 2  # the first size: grow(2)
MORE = 4  # then grow(4) more: 6 of each
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)
    # What the pack panel and the value exports keep in the cache would hide
    # the read behind them: the second request of each size would hit it.
    settings.PACK_STALENESS_CACHE_SECONDS = 0
    settings.VALUE_DASHBOARD_CACHE_SECONDS = 0


# --- The data: the people, one focus use case, and grow(n) ---------------------------


@dataclass
class World:
    """The named people of tests/conftest.py, an administrator, the focus use
    case (Claims triage assistant, in Claims Operations) and what grow added."""

    lead: Any
    sponsor: Any
    techlead: Any
    risk: Any
    admin: Any
    business_unit: BusinessUnit
    use_case: Any
    # The person who requests the route: delegations and tokens are theirs.
    me: Any = None
    serial: itertools.count = field(default_factory=lambda: itertools.count(1))
    preparing: list[GateReview] = field(default_factory=list)
    pack_review: GateReview | None = None
    packs: list[Any] = field(default_factory=list)
    people: list[Any] = field(default_factory=list)

    def next(self) -> int:
        return next(self.serial)

    def person(self) -> Any:
        k = self.next()
        user = UserFactory(username=f"grown{k}", first_name="Grown", last_name=f"Person {k}")
        self.people.append(user)
        return user


@pytest.fixture
def world(lead, sponsor, techlead, risk, business_unit, use_case) -> World:
    return World(
        lead=lead,
        sponsor=sponsor,
        techlead=techlead,
        risk=risk,
        admin=administrator(),
        business_unit=business_unit,
        use_case=use_case,
    )


def _portfolio(w: World, n: int) -> None:
    """n more use cases in the focus's unit, each with a sponsor, classified,
    and a value in every custom field defined so far."""
    for _ in range(n):
        case = UseCaseFactory(
            title=f"Grown use case {w.next()}",
            business_unit=w.business_unit,
            sponsor=w.sponsor,
            technical_lead=w.techlead,
        )
        _fill_custom_values(w, case)


def _fill_custom_values(w: World, case: Any) -> None:
    fields = CustomField.objects.filter(active=True)
    if fields:
        values = {f.key: _custom_value(w, f.kind) for f in fields}
        usecases.usecase_update(use_case=case, by=w.lead, custom_values=values)


def _custom_value(w: World, kind: str) -> Any:
    return {
        "text": "CC-204",
        "choice": "North",
        "person": w.techlead.pk,
        "number": 1250.5,
        "multi_choice": ["North", "South"],
        "date": "2026-03-31",
    }[kind]


def _team(w: World, n: int) -> None:
    """n more contributors on the focus use case."""
    for _ in range(n):
        usecases.member_add(
            use_case=w.use_case, by=w.lead, user=w.person(), role=MemberRole.CONTRIBUTOR
        )


def _artifacts(w: World, n: int) -> None:
    """n more artifacts of the focus use case, two types of Gate 1 taking turns,
    so each type has several versions."""
    types = list(ArtifactType.objects.filter(template__number=1).order_by("order", "id")[:2])
    for i in range(n):
        gates.artifact_upload(
            use_case=w.use_case,
            by=w.sponsor,
            artifact_type=types[i % 2],
            file=text_file(f"evidence-{w.next()}.md"),
        )


def _reviews(w: World, n: int) -> None:
    """n more Gate 1 reviews of the focus use case, each opened and decided
    Recycle: its review history."""
    for _ in range(n):
        review = gates.review_open(use_case=w.use_case, by=w.lead)
        gates.gate_decide(review=review, by=w.lead, decision="recycle", rationale="Not yet.")


def _kpis(w: World, n: int) -> None:
    """n more KPIs of the focus use case, each measured n times."""
    today = timezone.localdate()
    for _ in range(n):
        kpi = readiness.kpi_create(
            use_case=w.use_case,
            by=w.lead,
            name=f"Grown KPI {w.next()}",
            kind="leading",
            target="90",
            direction="higher",
            unit="%",
            baseline="70",
        )
        for day in range(n):
            readiness.kpi_measurement_record(
                kpi=kpi, by=w.lead, value=str(70 + day), measured_at=today - (day + 1) * DAY
            )


def _checklist(w: World, n: int) -> None:
    """n more checklist items (an administrator adds them), each answered."""
    for _ in range(n):
        k = w.next()
        definition = readiness.checklist_item_definition_create(
            by=w.admin,
            definition=ChecklistItemDefinition(
                number=100 + k, group="technical", text=f"Grown readiness item {k}"
            ),
        )
        readiness.checklist_item_update(
            use_case=w.use_case,
            item=definition,
            by=w.lead,
            status=ChecklistStatus.DONE,
            evidence="Reviewed in the readiness workshop.",
        )


def _scorecard(w: World, n: int) -> None:
    """n more scorecard items (an administrator adds them), then the PoC scored
    on every item: a new version. The focus use case passes Gate 1 first: the
    scorecard is scored in POC."""
    if w.use_case.stage == Stage.DISCOVERY:
        pass_gate(w.use_case, w.lead, w.sponsor)
        w.use_case.refresh_from_db()
    for _ in range(n):
        k = w.next()
        readiness.scorecard_item_create(
            by=w.admin,
            item=ScorecardItem(
                order=100 + k,
                name=f"Grown scorecard item {k}",
                excellent="Excellent.",
                acceptable="Acceptable.",
                insufficient="Insufficient.",
            ),
        )
    items = ScorecardItem.objects.filter(is_active=True)
    readiness.scorecard_save(
        use_case=w.use_case,
        by=w.lead,
        scores={item.pk: 4 for item in items},
        comments={item.pk: "Solid." for item in items},
    )


def _risk(w: World, n: int) -> None:
    """n more versions of the focus use case's risk classification."""
    for _ in range(n):
        classify(w.use_case, officer=w.risk)


def _audit(w: World, n: int) -> None:
    """n more events in the focus use case's audit trail: edits of its facts."""
    for _ in range(n):
        usecases.usecase_update(
            use_case=w.use_case, by=w.lead, value_hypothesis=f"Hypothesis {w.next()}"
        )


def _custom_fields(w: World, n: int) -> None:
    """n more custom fields of each kind (an administrator adds them), each
    with a value on the focus use case. Of each kind: a read may take a
    query for a kind only when one is defined (person fields read names)."""
    for kind in ("text", "choice", "person", "number", "multi_choice", "date") * n:
        k = w.next()
        usecases.custom_field_create(
            by=w.admin,
            field=CustomField(
                key=f"grown_{k}",
                label=f"Grown field {k}",
                kind=kind,
                choices=["North", "South"] if "choice" in kind else [],
                order=k,
            ),
        )
    _fill_custom_values(w, w.use_case)


def _delegations(w: World, n: int) -> None:
    """n more delegations given by the person who asks (every other one
    revoked), n received, and n between others (what a program lead's page
    lists too)."""
    today = timezone.localdate()
    for i in range(n):
        other, third = w.person(), w.person()
        days = {"starts_on": today + i * DAY, "ends_on": today + (i + 3) * DAY}
        given = gates.delegation_create(by=w.me, delegate=other, reason="Leave.", **days)
        if i % 2:
            gates.delegation_revoke(delegation=given, by=w.me)
        gates.delegation_create(by=other, delegate=w.me, reason="Travel.", **days)
        gates.delegation_create(by=other, delegate=third, reason="Away.", **days)


def _business_units(w: World, n: int) -> None:
    """n more business units, each with a head and a member."""
    for _ in range(n):
        k = w.next()
        unit = usecases.business_unit_create(
            by=w.admin,
            business_unit=BusinessUnit(name=f"Grown unit {k}", code=f"grown{k}", head=w.person()),
        )
        usecases.business_unit_member_add(by=w.admin, business_unit=unit, user=w.person())


def _members(w: World, n: int) -> None:
    """n more people working in the focus's unit."""
    for _ in range(n):
        usecases.business_unit_member_add(by=w.lead, business_unit=w.business_unit, user=w.person())


def _tokens(w: World, n: int) -> None:
    for _ in range(n):
        usecases.token_create(by=w.me, user=w.me)


def _controls(w: World, n: int) -> None:
    for _ in range(n):
        k = w.next()
        gates.control_create(
            by=w.admin,
            control=Control(framework="iso_42001", reference=f"G.{k}", title=f"Grown control {k}"),
        )


def _exit_reasons(w: World, n: int) -> None:
    for _ in range(n):
        k = w.next()
        gates.exit_reason_create(
            by=w.admin, reason=ExitReason(code=f"grown-{k}", label=f"Grown reason {k}", order=k)
        )


def _gate_framework(w: World, n: int) -> None:
    """n more criteria and n more artifact types on Gate 1, each citing a new
    control: what the gate templates list and what opening Gate 1 previews."""
    template = GateTemplate.objects.get(number=1)
    for _ in range(n):
        k = w.next()
        control = gates.control_create(
            by=w.admin,
            control=Control(framework="nist_ai_rmf", reference=f"G {k}", title=f"Grown {k}"),
        )
        criterion = gates.gate_criterion_create(
            by=w.admin,
            criterion=GateCriterion(
                template=template,
                order=100 + k,
                name=f"Grown criterion {k}",
                requirement="A requirement the team must evidence.",
                # Rules on the tier: opening Gate 1 previews them as extra rows.
                applies_when={"risk_tiers": [w.use_case.risk_tier]},
            ),
        )
        gates.gate_criterion_set_controls(by=w.admin, criterion=criterion, controls=[control])
        artifact_type = gates.artifact_type_create(
            by=w.admin,
            artifact_type=ArtifactType(
                template=template,
                order=100 + k,
                code=f"grown-{k}",
                name=f"Grown artifact {k}",
                applies_when={"risk_tiers": [w.use_case.risk_tier]},
            ),
        )
        gates.artifact_type_set_controls(
            by=w.admin, artifact_type=artifact_type, controls=[control]
        )


def _queue_case(w: World):
    return UseCaseFactory(
        title=f"Queued use case {w.next()}",
        business_unit=w.business_unit,
        sponsor=w.sponsor,
        technical_lead=w.techlead,
    )


def _submitted(w: World, n: int) -> None:
    """n more submitted reviews the lead chairs (Awaiting my decision) and the
    sponsor approves (Awaiting my approval)."""
    for _ in range(n):
        make_submitted_review(_queue_case(w), w.lead, w.sponsor)


def _delegated_seats(w: World, n: int) -> None:
    """n more submitted reviews whose sponsor delegated their seats to the
    focus's sponsor: rows of the sponsor's approvals in another's seat."""
    today = timezone.localdate()
    for _ in range(n):
        holder = w.person()
        case = UseCaseFactory(
            title=f"Delegated use case {w.next()}",
            business_unit=w.business_unit,
            sponsor=holder,
            technical_lead=w.techlead,
        )
        make_submitted_review(case, w.lead, holder)
        gates.delegation_create(
            by=holder, delegate=w.sponsor, starts_on=today, ends_on=today + DAY, reason="Leave."
        )


def _preparing(w: World, n: int) -> None:
    """n more open reviews the lead chairs and the sponsor's team prepares."""
    for _ in range(n):
        review = gates.review_open(
            use_case=_queue_case(w), by=w.lead, planned_date=timezone.localdate() + 7 * DAY
        )
        w.preparing.append(review)


def _conditions(w: World, n: int) -> None:
    """A review decided Conditional Go with n more conditions the sponsor owns."""
    review = make_submitted_review(_queue_case(w), w.lead, w.sponsor)
    approve_all(review)
    gates.gate_decide(
        review=review,
        by=w.lead,
        decision="conditional_go",
        rationale="Go with conditions.",
        conditions=[
            {
                "description": f"Grown condition {w.next()}",
                "owner": w.sponsor,
                "due_date": timezone.localdate() + (i + 1) * DAY,
            }
            for i in range(n)
        ],
    )


def _kills(w: World, n: int) -> None:
    """n more use cases with costs, killed at Gate 1, each for a new exit reason
    (the value panel's kills by reason)."""
    for _ in range(n):
        k = w.next()
        reason = gates.exit_reason_create(
            by=w.admin, reason=ExitReason(code=f"killed-{k}", label=f"Killed for {k}", order=k)
        )
        case = _queue_case(w)
        value.cost_lines_set(
            use_case=case,
            by=w.lead,
            rows=[{"stage": "discovery", "category": "development", "planned": "5000"}],
        )
        review = gates.review_open(use_case=case, by=w.lead)
        gates.gate_decide(
            review=review,
            by=w.lead,
            decision="kill",
            rationale="No value.",
            exit_reason=reason.code,
            lessons_learned="Agree the value case first.",
        )


def _packs(w: World, n: int) -> None:
    """n more gate packs of the focus's Gate 1 review (decided Recycle, with
    its evidence): each requested and failed, so the next request is a new
    pack of the same content."""
    if w.pack_review is None:
        review = gates.review_open(use_case=w.use_case, by=w.lead)
        upload_required(review, w.sponsor)
        gates.gate_decide(review=review, by=w.lead, decision="recycle", rationale="Not yet.")
        review.refresh_from_db()
        w.pack_review = review
    for _ in range(n):
        pack = reporting.pack_request(review=w.pack_review, by=w.lead).pack
        reporting.pack_fail(pack_id=pack.pk, reason="The renderer ran out of memory.")
        w.packs.append(pack)


GROWERS: dict[str, Callable[[World, int], None]] = {
    "portfolio": _portfolio,
    "team": _team,
    "artifacts": _artifacts,
    "reviews": _reviews,
    "kpis": _kpis,
    "checklist": _checklist,
    "scorecard": _scorecard,
    "risk": _risk,
    "audit": _audit,
    "custom_fields": _custom_fields,
    "delegations": _delegations,
    "business_units": _business_units,
    "members": _members,
    "tokens": _tokens,
    "controls": _controls,
    "exit_reasons": _exit_reasons,
    "gate_framework": _gate_framework,
    "submitted": _submitted,
    "delegated_seats": _delegated_seats,
    "preparing": _preparing,
    "conditions": _conditions,
    "kills": _kills,
    "packs": _packs,
    "people": lambda w, n: [w.person() for _ in range(n)],
}
# Everything of the focus use case (but the scorecard, which takes it past
# Gate 1): what its pages and endpoints read besides their own rows.
FOCUS = ("artifacts", "reviews", "kpis", "checklist", "risk", "audit", "team", "custom_fields")
# The portfolio: use cases in Discovery, killed (with costs and an exit
# reason), in a review being prepared, and past a Conditional Go; custom
# fields first, so that every use case grown has their values.
PORTFOLIO = ("custom_fields", "portfolio", "kills", "preparing", "conditions")


def grow(w: World, n: int, kinds: tuple[str, ...] = tuple(GROWERS)) -> None:
    """n more of each kind (every kind unless named)."""
    for kind in kinds:
        GROWERS[kind](w, n)


# --- The routes --------------------------------------------------------------------


def _html(response) -> str:
    return response.content.decode()


def _results(response) -> int:
    return len(response.json()["results"])


def _listed(response) -> int:
    return len(response.json())


def _xlsx_rows(response) -> int:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.content))
    return sum(sheet.max_row for sheet in book.worksheets)


def _csv_rows(response) -> int:
    return len(list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")))))


def _one_object(response) -> int:
    return int(bool(response.json()["id"]))


def _marked(marker: str) -> Callable[[Any], int]:
    return lambda response: _html(response).count(marker)


def _picker_params(w: World) -> dict[str, Any]:
    """What a people picker's search box sends: the signed description of its
    select (as the widget renders it), what was typed and who is chosen."""
    widget = str(PeoplePicker().render("people", [])).replace("&quot;", '"')
    spec = re.search(r'"picker": "([^"]+)"', widget)
    assert spec, widget
    return {
        "picker": spec.group(1),
        "people__search": "Grown",
        "people": [str(p.pk) for p in w.people[:2]],
    }


@dataclass(frozen=True)
class Route:
    """A GET route: its path (read after growing), the kinds of rows grown for
    it, how many rows a response shows, and who asks. ``grows`` False: a
    fixed list, the same rows at both sizes (but not none)."""

    id: str
    path: Callable[[World], str]
    kinds: tuple[str, ...]
    rows: Callable[[Any], int]
    user: str = "lead"
    api: bool = False
    params: Callable[[World], dict[str, Any]] | None = None
    grows: bool = True


def _focus(name: str) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[w.use_case.pk])


def _plain(name: str) -> Callable[[World], str]:
    return lambda w: reverse(name)


QUEUES = {
    # queue: (who it waits on, what fills it, the id of a row on the page)
    "decisions": ("lead", ("submitted",), 'id="decision-'),
    "approvals": ("sponsor", ("submitted", "delegated_seats"), 'id="approval-'),
    "preparing": ("sponsor", ("preparing",), 'id="preparing-'),
    "conditions": ("sponsor", ("conditions",), 'id="condition-row-'),
    "delegations": ("sponsor", ("delegations",), 'id="delegation-row-'),
}


def _form_rows(response) -> int:
    """The custom fields a use case form asks for and the units it offers."""
    html = _html(response)
    return html.count('name="cf_') + html.count(">Grown unit ")


BROWSER = [
    *(
        Route(
            f"my-work-{queue}",
            lambda w, queue=queue: reverse("my-work-queue", args=[queue]),
            kinds,
            _marked(marker),
            user=user,
        )
        for queue, (user, kinds, marker) in QUEUES.items()
    ),
    # The focus but its KPIs and checklist, whose many events would fill the
    # first page (50) at the larger size.
    Route(
        "usecase-audit",
        _focus("usecase-audit"),
        ("artifacts", "reviews", "risk", "audit", "team", "custom_fields"),
        lambda r: len(r.context["page_obj"].object_list),
    ),
    Route("delegations", _plain("delegations"), ("delegations",), _marked('<tr id="delegation-')),
    Route(
        "people-options",
        _plain("people-options"),
        ("people",),
        _marked("<option "),
        user="sponsor",
        params=_picker_params,
    ),
    Route("portfolio-xlsx", _plain("portfolio-export-xlsx"), PORTFOLIO, _xlsx_rows),
    # The value tables aggregate cost lines; kills by reason are their rows.
    Route("value-csv", _plain("value-export-csv"), ("portfolio", "kills"), _csv_rows),
    Route("value-xlsx", _plain("value-export-xlsx"), ("portfolio", "kills"), _xlsx_rows),
    Route(
        "review-packs",
        lambda w: reverse("review-packs", args=[w.pack_review.pk]),
        ("packs", *FOCUS),
        _marked('id="pack-'),
    ),
    Route("usecase-risk", _focus("usecase-risk"), FOCUS, lambda r: len(r.context["versions"])),
    # The GET forms.
    Route(
        "review-open",
        _focus("review-open"),
        ("gate_framework", *FOCUS),
        _marked("Grown criterion "),
    ),
    # A date and a reason: nothing in the form grows; counted at two sizes of
    # the lead's open reviews.
    Route(
        "review-schedule",
        lambda w: reverse("review-schedule", args=[w.preparing[0].pk]),
        ("preparing",),
        _marked('name="planned_date"'),
        grows=False,
    ),
    Route(
        "usecase-create", _plain("usecase-create"), ("business_units", "custom_fields"), _form_rows
    ),
    Route("usecase-edit", _focus("usecase-edit"), ("business_units", *FOCUS), _form_rows),
    # Risk tiers and regulations: fixed choices; counted at two sizes of the
    # focus use case and the portfolio.
    Route(
        "usecase-reclassify",
        _focus("usecase-reclassify"),
        ("portfolio", *FOCUS),
        _marked('name="regulatory_constraints"'),
        user="risk",
        grows=False,
    ),
    # A reason to give: nothing grows; counted as the reclassification.
    Route(
        "usecase-withdraw",
        _focus("usecase-withdraw"),
        ("portfolio", *FOCUS),
        _marked('name="reason"'),
        grows=False,
    ),
    Route(
        "usecase-import",
        _plain("usecase-import"),
        ("custom_fields", "business_units"),
        _marked("cf_grown_"),
    ),
]

API = [
    *(
        Route(
            f"api-my-queue-{queue}",
            lambda w, queue=queue: reverse(f"api-my-queue-{queue}"),
            kinds,
            _results,
            user=user,
            api=True,
        )
        for queue, (user, kinds, _marker) in QUEUES.items()
    ),
    Route("api-usecase-artifacts", _focus("api-usecase-artifacts"), FOCUS, _results, api=True),
    Route("api-usecase-reviews", _focus("api-usecase-reviews"), FOCUS, _listed, api=True),
    Route("api-delegations", _plain("api-delegations"), ("delegations",), _listed, api=True),
    Route(
        "api-gate-templates",
        _plain("api-gate-templates"),
        ("gate_framework",),
        lambda r: sum(len(t["criteria"]) + len(t["artifact_types"]) for t in r.json()),
        api=True,
    ),
    Route("api-controls", _plain("api-controls"), ("controls",), _listed, api=True),
    Route("api-exit-reasons", _plain("api-exit-reasons"), ("exit_reasons",), _listed, api=True),
    Route(
        "api-review-packs",
        lambda w: reverse("api-review-packs", args=[w.pack_review.pk]),
        ("packs", *FOCUS),
        _listed,
        api=True,
    ),
    Route(
        "api-dashboard",
        _plain("api-dashboard"),
        PORTFOLIO,
        lambda r: r.json()["total"],
        api=True,
    ),
    Route(
        "api-usecase-kpis",
        _focus("api-usecase-kpis"),
        FOCUS,
        lambda r: sum(1 + len(k["points"]) for k in r.json()["results"]),
        api=True,
    ),
    Route(
        "api-usecase-checklist",
        _focus("api-usecase-checklist"),
        FOCUS,
        lambda r: len(r.json()["items"]),
        api=True,
    ),
    Route(
        "api-business-units",
        _plain("api-businessunit-list"),
        ("business_units",),
        _listed,
        api=True,
    ),
    Route(
        "api-business-unit-members",
        lambda w: reverse("api-businessunit-members", args=[w.business_unit.pk]),
        ("members",),
        _listed,
        api=True,
    ),
    Route(
        "api-custom-fields", _plain("api-customfield-list"), ("custom_fields",), _listed, api=True
    ),
    Route("api-tokens", _plain("api-token-list"), ("tokens",), _listed, api=True),
    # One multiplier per multiplied cost category (unique; three of the four
    # are default data): a list an administrator cannot grow by n, counted at
    # two portfolio sizes.
    Route(
        "api-cost-multipliers",
        _plain("api-cost-multipliers"),
        ("portfolio",),
        _results,
        api=True,
        grows=False,
    ),
    Route(
        "api-usecase-detail",
        _focus("api-usecase-detail"),
        FOCUS,
        lambda r: len(r.json()["team"]) + len(r.json()["custom_fields"]),
        api=True,
    ),
    Route("api-usecase-risk", _focus("api-usecase-risk"), FOCUS, _listed, api=True),
    # The Discovery dimensions are fixed; the endpoint reads the readiness
    # summary, so it is counted at two sizes of everything the summary reads.
    Route(
        "api-usecase-prioritization",
        _focus("api-usecase-prioritization"),
        ("scorecard", *FOCUS),
        lambda r: len(r.json()["dimensions"]),
        api=True,
        grows=False,
    ),
    Route(
        "api-usecase-scorecard",
        _focus("api-usecase-scorecard"),
        ("scorecard", *FOCUS),
        lambda r: len(r.json()["items"]),
        api=True,
    ),
    # The questions are code, not data: counted at two portfolio sizes.
    Route(
        "api-risk-questionnaire",
        _plain("api-risk-questionnaire"),
        ("portfolio",),
        lambda r: len(r.json()["questions"]),
        api=True,
        grows=False,
    ),
    # One pack; what its staleness reads (the review's pack data) grows.
    Route(
        "api-pack-detail",
        lambda w: reverse("api-pack-detail", args=[w.packs[0].pk]),
        ("packs", *FOCUS),
        _one_object,
        api=True,
        grows=False,
    ),
]

ROUTES = [*BROWSER, *API]


# --- Counting ------------------------------------------------------------------------


@dataclass
class Reading:
    rows: int
    queries: list[str]


def _shape(sql: str) -> str:
    """A query with its literals taken out: the same query for another row
    reads the same."""
    sql = re.sub(r"'(?:[^']|'')*'", "'?'", sql)
    sql = re.sub(r"\d+", "?", sql)
    return re.sub(r"\(\?(?:, \?)+\)", "(?…)", sql)


def _read(route: Route, w: World, client) -> Reading:
    path = route.path(w)
    params = route.params(w) if route.params else {}
    client.get(path, params)  # warm: content types, translations, the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    assert response.status_code == 200, (route.id, response.status_code, response.content[:500])
    return Reading(
        rows=route.rows(response),
        queries=[q["sql"] for q in captured.captured_queries],
    )


def _difference(first: Reading, second: Reading) -> str:
    before, after = Counter(map(_shape, first.queries)), Counter(map(_shape, second.queries))
    lines = [f"+{n}× {sql}" for sql, n in (after - before).items()]
    lines += [f"-{n}× {sql}" for sql, n in (before - after).items()]
    return "\n".join(lines) or "(the same queries in another order)"


@pytest.mark.parametrize("route", ROUTES, ids=[r.id for r in ROUTES])
def test_it_reads_in_as_many_queries_at_six_of_everything_as_at_two(
    route, world, client_as, api_as
):
    world.me = getattr(world, route.user)
    client = (api_as if route.api else client_as)(world.me)

    grow(world, FIRST, route.kinds)
    first = _read(route, world, client)
    grow(world, MORE, route.kinds)
    second = _read(route, world, client)

    if route.grows:
        assert second.rows > first.rows > 0, (route.id, first.rows, second.rows)
    else:
        assert second.rows == first.rows > 0, (route.id, first.rows, second.rows)
    assert len(second.queries) == len(first.queries), (
        f"{route.id}: {len(first.queries)} queries at {FIRST} of each, "
        f"{len(second.queries)} at {FIRST + MORE}:\n{_difference(first, second)}"
    )
