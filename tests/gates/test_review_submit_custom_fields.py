"""A custom field required from a stage holds back the gate review into that
stage (and every later one) until it has a value, as a missing artifact
does: the refusal, the review page, My work and the review endpoint name it."""

from __future__ import annotations

import pytest

from core.errors import TransitionRefused
from gates import services
from gates.models import ReviewStatus
from tests.gates.helpers import assess_all, isolate, make_open_review, pass_gate, upload_required
from tests.usecases.custom_field_helpers import define
from usecases.models import Stage
from usecases.services import usecase_update

pytestmark = pytest.mark.django_db

MISSING = "Custom field “Data owner” is required from Pilot on"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


@pytest.fixture
def data_owner():
    # Required at Gate 2: the review from POC into Pilot.
    return define("data_owner", "Data owner", "person", required_from=Stage.PILOT)


def gate_2_review(use_case, lead, sponsor):
    pass_gate(use_case, lead, sponsor)
    use_case.refresh_from_db()
    assert use_case.stage == Stage.POC
    review = make_open_review(use_case, lead)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    return review


def test_gate_1_does_not_ask_for_a_field_required_from_pilot(data_owner, use_case, lead, sponsor):
    review = make_open_review(use_case, lead)
    upload_required(review, sponsor)
    assess_all(review, sponsor)

    services.review_submit(review=review, by=sponsor)

    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED


def test_it_refuses_gate_2_until_the_field_is_set_then_submits(
    data_owner, use_case, lead, sponsor, techlead
):
    review = gate_2_review(use_case, lead, sponsor)
    assert review.gate_number == 2

    with pytest.raises(TransitionRefused) as refused:
        services.review_submit(review=review, by=sponsor)
    assert refused.value.reasons == [MISSING]
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN

    usecase_update(use_case=use_case, by=sponsor, custom_values={"data_owner": techlead.pk})
    services.review_submit(review=review, by=sponsor)

    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED


def test_the_review_page_my_work_and_the_endpoint_name_it(
    data_owner, use_case, lead, sponsor, client_as, api_as
):
    review = gate_2_review(use_case, lead, sponsor)

    page = client_as(sponsor).get(review.get_absolute_url())
    assert MISSING in page.content.decode()
    home = client_as(sponsor).get("/my-work/")
    assert MISSING in home.content.decode()
    body = api_as(sponsor).get(f"/api/v1/reviews/{review.pk}/").json()
    assert body["submission_blockers"] == [MISSING]


def test_an_inactive_field_blocks_nothing(data_owner, use_case, lead, sponsor):
    from tests.usecases.custom_field_helpers import administrator
    from usecases.services import custom_field_deactivate

    review = gate_2_review(use_case, lead, sponsor)
    custom_field_deactivate(by=administrator(), field=data_owner)

    assert services.submission_blockers(review) == []
