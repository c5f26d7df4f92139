"""Races against real PostgreSQL with real threads: approvals and decisions
serialize on row locks, so there is exactly one stage transition whatever the
interleaving, and the audit chain stays intact.

Transactional tests flush the database afterwards, data migrations included;
tests/conftest.py puts the groups and gate templates back first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from core.audit import audit_verify
from core.errors import DomainError, TransitionRefused
from core.models import AuditEvent
from gates import services
from gates.models import Artifact, GateReview, ReviewApprover, ReviewStatus, StageTransition
from tests.factories import OrgRole, UseCaseFactory, UserFactory
from tests.gates.helpers import (
    artifact_type,
    isolate,
    make_submitted_review,
    named_file,
    ready_for_decision,
)
from usecases.models import Stage

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres(
        "row locks (SELECT ... FOR UPDATE) held across real threads; SQLite has no row "
        "locks and its in-memory test database refuses concurrent writers"
    ),
]

ROUNDS = 10


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path, transactional_db):
    return isolate(settings, tmp_path)


def run_together(*calls: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Start every call in its own thread at the same instant (a barrier) and
    return ("ok", result), ("refused", DomainError) or ("error", exception)
    for each, in order."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, Any]] = [("error", None)] * len(calls)

    def work(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", call())
        except DomainError as refused:
            results[index] = ("refused", refused)
        except Exception as error:  # reported by the test, never swallowed
            results[index] = ("error", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a racing call hung"
    errors = [result for kind, result in results if kind == "error"]
    assert not errors, errors
    return results


def assert_audit_chain_intact() -> None:
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))  # no gap, no duplicate
    checked, broken = audit_verify()
    assert broken is None
    assert checked == len(seqs)


def fresh_use_case(business_unit, sponsor, techlead):
    return UseCaseFactory(business_unit=business_unit, sponsor=sponsor, technical_lead=techlead)


def test_it_never_moves_the_stage_without_the_last_approval(lead, sponsor, techlead, business_unit):
    outcomes = []
    for _ in range(ROUNDS):
        use_case = fresh_use_case(business_unit, sponsor, techlead)
        review = make_submitted_review(use_case, lead, sponsor)
        services.approval_record(review=review, approver=lead, decision="approve")

        approval, go = run_together(
            lambda review=review: services.approval_record(
                review=review, approver=sponsor, decision="approve"
            ),
            lambda review=review: services.gate_decide(
                review=review, by=lead, decision="go", rationale="Race"
            ),
        )

        # The approval always lands: Go either waited for it or left the review submitted.
        assert approval[0] == "ok"
        review.refresh_from_db()
        use_case.refresh_from_db()
        last = ReviewApprover.objects.get(review=review, user=sponsor)
        assert last.decision == "approve"
        if go[0] == "ok":
            assert (review.status, review.decision) == (ReviewStatus.DECIDED, "go")
            assert use_case.stage == Stage.POC
            assert StageTransition.objects.filter(use_case=use_case).count() == 1
            assert last.decided_at < review.decided_at
        else:
            refused = go[1]
            assert isinstance(refused, TransitionRefused)
            assert refused.message == "Go cannot be recorded yet."
            assert refused.reasons == ["Sam Sponsor has not approved yet."]
            assert review.status == ReviewStatus.SUBMITTED
            assert use_case.stage == Stage.DISCOVERY
            assert not StageTransition.objects.filter(use_case=use_case).exists()
        outcomes.append(go[0])

    # Across all rounds: never a transition on a review missing an approval.
    for transition in StageTransition.objects.select_related("review"):
        assert all(row.has_approved for row in transition.review.approvers.all())
    assert len(outcomes) == ROUNDS
    assert_audit_chain_intact()


def test_it_never_moves_the_stage_past_a_racing_rejection(lead, sponsor, techlead, business_unit):
    for _ in range(ROUNDS // 2):
        use_case = fresh_use_case(business_unit, sponsor, techlead)
        review = ready_for_decision(use_case, lead, sponsor)

        reject, go = run_together(
            lambda review=review: services.approval_record(
                review=review, approver=sponsor, decision="reject", comment="Changed my mind."
            ),
            lambda review=review: services.gate_decide(
                review=review, by=lead, decision="go", rationale="Race"
            ),
        )

        use_case.refresh_from_db()
        transitions = StageTransition.objects.filter(use_case=use_case).count()
        if go[0] == "ok":
            # Go won: the gate is decided and the late rejection is refused.
            assert reject[0] == "refused"
            assert reject[1].reasons == ["The gate has already been decided."]
            assert (use_case.stage, transitions) == (Stage.POC, 1)
        else:
            assert reject[0] == "ok"
            assert go[1].reasons == ["Sam Sponsor rejected: Changed my mind."]
            assert (use_case.stage, transitions) == (Stage.DISCOVERY, 0)
    assert_audit_chain_intact()


def test_it_records_exactly_one_transition_when_two_go_decisions_race(
    lead, sponsor, techlead, business_unit
):
    for _ in range(ROUNDS // 2):
        use_case = fresh_use_case(business_unit, sponsor, techlead)
        review = ready_for_decision(use_case, lead, sponsor)

        results = run_together(
            lambda review=review: services.gate_decide(
                review=review, by=lead, decision="go", rationale="A"
            ),
            lambda review=review: services.gate_decide(
                review=review, by=lead, decision="go", rationale="B"
            ),
        )

        kinds = sorted(kind for kind, _ in results)
        assert kinds == ["ok", "refused"]
        refused = next(value for kind, value in results if kind == "refused")
        assert isinstance(refused, TransitionRefused)
        assert refused.message == "The gate has already been decided."
        use_case.refresh_from_db()
        assert use_case.stage == Stage.POC
        assert StageTransition.objects.filter(use_case=use_case).count() == 1
        assert AuditEvent.objects.filter(use_case=use_case, action="gate.decided").count() == 1
    assert_audit_chain_intact()


def test_it_opens_exactly_one_review_when_two_leads_race(sponsor, techlead, business_unit, lead):
    other_lead = UserFactory(
        username="lead2", first_name="Lars", last_name="Lead", org_roles=[OrgRole.PROGRAM_LEAD]
    )
    for _ in range(ROUNDS // 2):
        use_case = fresh_use_case(business_unit, sponsor, techlead)

        results = run_together(
            lambda use_case=use_case: services.review_open(use_case=use_case, by=lead),
            lambda use_case=use_case: services.review_open(use_case=use_case, by=other_lead),
        )

        assert sorted(kind for kind, _ in results) == ["ok", "refused"]
        refused = next(value for kind, value in results if kind == "refused")
        assert refused.message == "This use case already has an open review."
        assert GateReview.objects.filter(use_case=use_case).count() == 1
        assert AuditEvent.objects.filter(use_case=use_case, action="review.opened").count() == 1
    assert_audit_chain_intact()


def test_it_numbers_racing_uploads_of_one_type_without_collision(sponsor, techlead, business_unit):
    for _ in range(ROUNDS // 2):
        use_case = fresh_use_case(business_unit, sponsor, techlead)

        def upload(by, body, use_case=use_case):
            return lambda: services.artifact_upload(
                use_case=use_case,
                by=by,
                artifact_type=artifact_type(1),
                file=named_file("scorecard.txt", body),
            )

        results = run_together(upload(sponsor, b"from sponsor\n"), upload(techlead, b"from tech\n"))

        assert [kind for kind, _ in results] == ["ok", "ok"]
        versions = sorted(
            Artifact.objects.filter(use_case=use_case).values_list("version", flat=True)
        )
        assert versions == [1, 2]
    assert_audit_chain_intact()
