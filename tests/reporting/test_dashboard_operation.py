"""The dashboard's use cases in operation: recertifications due and overdue
(the most urgent with their open review), the last 12 months'
recertification decisions, retired against killed, the Scale row due for
recertification instead of stalled; the same figures on the API and in the
CSV export; only what the reader sees; the query bound at two sizes."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gates import services as gate_services
from gates.models import Decision, GateReview, ReviewStatus, ReviewTrigger
from reporting.dashboard_read import dashboard
from tests.factories import UseCaseFactory
from tests.gates.helpers import KILL_EXIT, advance, isolate, make_open_review, pass_gate
from tests.reporting.test_dashboard import DASHBOARD_MAX_QUERIES
from usecases.models import Stage, Status, UseCase

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def operating(business_unit, sponsor, title: str, *, due_in: int, owner=None) -> UseCase:
    """A use case operating at Scale, due ``due_in`` days from today.
    Test set-up only: in the product a use case reaches Scale through four
    gate decisions (the real path is taken by ``portfolio``'s first two)."""
    use_case = UseCaseFactory(title=title, business_unit=business_unit, sponsor=sponsor)
    UseCase.objects.filter(pk=use_case.pk).update(
        stage=Stage.SCALE,
        status=Status.ACTIVE,
        operating_owner=owner or sponsor,
        recertification_due_on=days(due_in),
    )
    use_case.refresh_from_db()
    return use_case


def retire(use_case: UseCase, lead, *, when: datetime.datetime) -> GateReview:
    """Open the use case's recertification for real, then record a Retire
    decision on it. Test set-up: the Retire decision service belongs to the
    gate engine and is not on this branch; its outcome (the review decided
    Retire with its checklist, the use case retired) is written with
    queryset updates."""
    review = gate_services.review_open(use_case=use_case, by=lead)
    GateReview.objects.filter(pk=review.pk).update(
        status=ReviewStatus.DECIDED,
        decision=Decision.RETIRE,
        decided_at=when,
        decided_by=lead,
        rationale="Replaced by the new claims platform.",
        decommissioning=[
            {"step": 1, "text": "Switch off the model endpoint.", "status": "done", "note": ""},
            {
                "step": 2,
                "text": "Archive the training data.",
                "status": "not_applicable",
                "note": "No data kept.",
            },
        ],
    )
    UseCase.objects.filter(pk=use_case.pk).update(status=Status.RETIRED)
    review.refresh_from_db()
    return review


@pytest.fixture
def portfolio(lead, sponsor, techlead, cio, business_unit):
    """Recertified: four real Go decisions, then a real recertification Go
    (next due a year on). Due soon: four real Go decisions, its
    recertification opened by the schedule, due in 10 days. Two overdue
    (5 and 40 days), one not due (200 days), one retired, one killed at Gate 1."""
    recertified = UseCaseFactory(
        title="Recertified", business_unit=business_unit, sponsor=sponsor, technical_lead=techlead
    )
    advance(recertified, lead, sponsor, 4)
    recertification = pass_gate(recertified, lead, sponsor)
    assert recertification.is_recertification and recertification.decision == Decision.GO

    due_soon = UseCaseFactory(
        title="Due soon", business_unit=business_unit, sponsor=sponsor, technical_lead=techlead
    )
    advance(due_soon, lead, sponsor, 4)
    # Test set-up: the due date brought forward into the notice window.
    UseCase.objects.filter(pk=due_soon.pk).update(recertification_due_on=days(10))
    open_recertification = gate_services.review_open(
        use_case=due_soon, by=lead, trigger=ReviewTrigger.SCHEDULED
    )

    cases = {
        "recertified": recertified,
        "due_soon": due_soon,
        "open_recertification": open_recertification,
        "overdue": operating(business_unit, sponsor, "Overdue", due_in=-5, owner=techlead),
        "long_overdue": operating(business_unit, sponsor, "Long overdue", due_in=-40),
        "not_due": operating(business_unit, sponsor, "Not due", due_in=200),
    }
    retired = operating(business_unit, sponsor, "Retired", due_in=100)
    cases["retire_review"] = retire(
        retired, lead, when=timezone.now() - datetime.timedelta(days=20)
    )
    cases["retired"] = retired
    killed = UseCaseFactory(title="Killed", business_unit=business_unit, sponsor=sponsor)
    gate_services.gate_decide(
        review=make_open_review(killed, lead),
        by=lead,
        decision="kill",
        rationale="No data.",
        **KILL_EXIT,
    )
    cases["killed"] = killed
    return cases


def test_it_counts_the_use_cases_in_operation_and_their_recertifications(portfolio, lead):
    data = dashboard(user=lead)

    operation = data.operation
    assert operation.operating == 5  # recertified, due soon, two overdue, not due
    assert (operation.due, operation.overdue) == (1, 2)
    assert operation.notice_days == 30
    assert [item.use_case.title for item in operation.urgent] == [
        "Long overdue",
        "Overdue",
        "Due soon",
    ]
    long_overdue, overdue, due_soon = operation.urgent
    assert (long_overdue.overdue, long_overdue.days) == (True, -40)
    assert overdue.use_case.operating_owner.username == "techlead"
    assert (due_soon.overdue, due_soon.days) == (False, 10)
    assert due_soon.open_review_id == portfolio["open_recertification"].pk
    assert overdue.open_review_id is None
    decisions = {code: n for code, _, n in operation.decisions}
    assert decisions == {"go": 1, "conditional_go": 0, "hold": 0, "retire": 1}


def test_the_scale_row_is_due_for_recertification_never_stalled(portfolio, lead):
    # 60 days without activity: the use cases in operation are not stalled.
    later = timezone.now() + datetime.timedelta(days=60)
    data = dashboard(user=lead, now=later)
    scale = next(row for row in data.stages if row.stage == Stage.SCALE)
    assert scale.stalled == scale.overdue == 0
    assert scale.recertification_overdue == 2 + 1  # due soon is overdue 60 days on
    assert scale.active == 5 and scale.retired == 1


def test_it_tells_retired_from_killed(portfolio, lead):
    data = dashboard(user=lead)
    end = data.end_of_life
    assert (end.retired, end.retired_last_year, end.killed) == (1, 1, 1)
    assert [uc.title for uc in end.recently_retired] == ["Retired"]
    assert end.recently_retired[0].retired_at == portfolio["retire_review"].decided_at
    assert end.killed_by_gate[0] == ("Gate 1", "Discovery", 1)
    assert end.killed_by_gate[-1] == ("Recertification", "Scale", 0)
    assert data.total == 7  # retired use cases count in the portfolio


def test_the_page_shows_the_panels(portfolio, client_as, executive):
    html = client_as(executive).get("/dashboard/").content.decode()
    assert "In operation" in html
    overdue = html.split(f'id="recertification-{portfolio["overdue"].pk}"', 1)[1]
    overdue = overdue.split("</tr>", 1)[0]
    assert "Tara Tech" in overdue and "overdue" in overdue and "not opened" in overdue
    review = portfolio["open_recertification"]
    due_soon = html.split(f'id="recertification-{portfolio["due_soon"].pk}"', 1)[1]
    assert f'href="/reviews/{review.pk}/"' in due_soon.split("</tr>", 1)[0]
    assert 'id="scale-recertification-overdue">2<span class="tag">' in html
    assert 'id="scale-recertification-due">1<span class="tag">due for recertification' in html
    assert "Retired vs killed" in html
    assert 'data-killed-at="Gate 1"' in html
    retired = html.split(f'id="retired-{portfolio["retired"].pk}"', 1)[1].split("</tr>", 1)[0]
    retired_on = timezone.localtime(portfolio["retire_review"].decided_at)
    assert retired_on.strftime("%-d %b %Y") in retired
    # The open recertification is named as such in the upcoming reviews.
    upcoming = html.split(f'id="upcoming-{review.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Recertification" in upcoming and "recertification due" in upcoming
    assert "Gate 5" not in html


def test_a_sponsor_sees_only_their_use_cases(portfolio, business_unit, other_sponsor):
    mine = operating(business_unit, other_sponsor, "Olga's model", due_in=-1)
    data = dashboard(user=other_sponsor)
    assert (data.operation.operating, data.operation.overdue, data.operation.due) == (1, 1, 0)
    assert [item.use_case for item in data.operation.urgent] == [mine]
    assert (data.end_of_life.retired, data.end_of_life.killed) == (0, 0)
    assert data.end_of_life.recently_retired == []


def test_the_api_gives_the_same_figures(portfolio, api_as, executive):
    response = api_as(executive).get("/api/v1/dashboard/")
    assert response.status_code == 200
    body = response.json()
    operation = body["operation"]
    assert (operation["operating"], operation["due"], operation["overdue"]) == (5, 1, 2)
    first = operation["urgent"][0]
    assert first["title"] == "Long overdue"
    assert first["overdue"] is True and first["days"] == -40
    assert first["operating_owner"] == "sponsor"
    assert first["operating_owner_name"] == "Sam Sponsor"
    assert operation["urgent"][2]["open_review"] == portfolio["open_recertification"].pk
    assert {"decision": "retire", "label": "Retire", "count": 1} in operation[
        "decisions_last_12_months"
    ]
    end = body["end_of_life"]
    assert (end["retired"], end["retired_last_12_months"], end["killed"]) == (1, 1, 1)
    assert end["recently_retired"][0]["title"] == "Retired"
    assert end["killed_by_gate"][0] == {"gate": "Gate 1", "stage": "Discovery", "count": 1}
    scale = next(row for row in body["stages"] if row["stage"] == "scale")
    assert (scale["recertification_due"], scale["recertification_overdue"]) == (1, 2)
    assert scale["stalled"] == 0 and scale["retired"] == 1
    assert body["total"] == 7


@pytest.mark.parametrize("who", ["sponsor", "buhead", "outsider"])
def test_the_api_refuses_others(request, api_as, who):
    response = api_as(request.getfixturevalue(who)).get("/api/v1/dashboard/")
    assert response.status_code == 403
    assert "for program leads and executives" in response.json()["detail"]


def test_the_api_refuses_the_anonymous(api):
    assert api.get("/api/v1/dashboard/").status_code in (401, 403)


def test_the_schema_types_the_dashboard(schema):
    operation = schema["paths"]["/api/v1/dashboard/"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    components = schema["components"]["schemas"]
    dash = components[ref.removeprefix("#/components/schemas/")]
    assert {"operation", "end_of_life", "stages"} <= set(dash["properties"])
    assert set(components["RecertificationDue"]["properties"]) >= {
        "use_case",
        "operating_owner",
        "due_on",
        "overdue",
        "open_review",
    }


def test_the_export_has_the_owner_and_the_next_recertification(portfolio, client_as, lead):
    response = client_as(lead).get("/dashboard/portfolio.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[-2:] == ["operating_owner", "next_recertification_due"]
    by_title = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    overdue = by_title["Overdue"]
    assert (overdue["stage"], overdue["status"]) == ("Scale", "Active")
    assert overdue["operating_owner"] == "Tara Tech"
    assert overdue["next_recertification_due"] == days(-5).isoformat()
    assert overdue["stalled"] == "no"
    retired = by_title["Retired"]
    assert (retired["status"], retired["next_recertification_due"]) == ("Retired", "")
    assert by_title["Killed"]["operating_owner"] == ""


def test_the_query_bound_holds_with_operating_and_retired_use_cases(
    portfolio, client_as, executive, business_unit, sponsor, lead, settings
):
    """The same count at two sizes, not only under the bound: a query per
    use case in operation, per recertification or per retired one shows."""
    settings.DASHBOARD_CACHE_SECONDS = 0  # each request reads the database
    client = client_as(executive)
    client.get("/dashboard/")  # warm the session

    def counted() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/dashboard/")
        assert response.status_code == 200
        return len(queries), response.content.decode()

    before, first = counted()
    assert before <= DASHBOARD_MAX_QUERIES
    for i in range(12):
        operating(business_unit, sponsor, f"More {i}", due_in=i * 7 - 30)
    for i in range(3):
        retire(
            operating(business_unit, sponsor, f"Gone {i}", due_in=90),
            lead,
            when=timezone.now() - datetime.timedelta(days=i),
        )
    after, html = counted()
    assert after == before
    data = dashboard(user=executive)
    assert data.end_of_life.retired == 4
    assert len(data.operation.urgent) == 10
    # Each row names its use case, unit, owner and open review: more rows, read
    # with no more queries.
    rows = '<tr id="recertification-'
    assert html.count(rows) == 10 > first.count(rows)
