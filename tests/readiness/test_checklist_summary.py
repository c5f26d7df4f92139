"""The checklist in the readiness summary: each use case's own answers, the
active items only, read with the items in one query."""

from __future__ import annotations

from readiness import services
from readiness.models import ChecklistItemDefinition, ChecklistStatus
from readiness.selectors import readiness_summary
from tests.factories import UseCaseFactory


def _summary(use_case):
    return readiness_summary(use_case=use_case, review_parts=False).checklist


def _line(checklist, number):
    return next(
        line
        for group in checklist.groups
        for line in group.lines
        if line.definition.number == number
    )


def test_each_use_case_shows_its_own_answers(use_case, sponsor, techlead, lead):
    other = UseCaseFactory(sponsor=sponsor)
    services.checklist_start(use_case=other, by=sponsor)
    services.checklist_item_update(
        use_case=other, item=1, by=sponsor, status="not_applicable", evidence="No PII."
    )
    services.checklist_item_update(
        use_case=use_case, item=1, by=sponsor, status="done", owner=techlead, evidence="Signed."
    )

    mine, theirs = _summary(use_case), _summary(other)

    assert (mine.started, mine.done, mine.not_applicable) == (True, 1, 0)
    assert (theirs.started, theirs.done, theirs.not_applicable) == (True, 0, 1)
    line = _line(mine, 1)
    assert (line.status, line.item.owner, line.item.updated_by) == ("done", techlead, sponsor)
    assert line.item.evidence == "Signed."
    assert _line(theirs, 1).item.evidence == "No PII."
    assert mine.total == ChecklistItemDefinition.objects.filter(is_active=True).count()


def test_a_use_case_without_a_checklist_is_not_started(use_case, sponsor):
    other = UseCaseFactory(sponsor=sponsor)
    services.checklist_start(use_case=other, by=sponsor)

    checklist = _summary(use_case)

    assert not checklist.started
    assert checklist.done == 0
    assert all(line.item is None for group in checklist.groups for line in group.lines)
    assert len(checklist.open_items) == checklist.total


def test_a_retired_item_leaves_the_summary(use_case, sponsor):
    services.checklist_start(use_case=use_case, by=sponsor)
    services.checklist_item_update(
        use_case=use_case, item=2, by=sponsor, status="done", evidence="Runbook."
    )
    retired = ChecklistItemDefinition.objects.get(number=2)
    retired.is_active = False
    retired.save()

    checklist = _summary(use_case)

    assert checklist.done == 0
    assert retired.text not in checklist.open_items
    numbers = [line.definition.number for group in checklist.groups for line in group.lines]
    assert 2 not in numbers
    assert checklist.total == len(numbers)
    assert all(_line(checklist, n).status == ChecklistStatus.OPEN for n in numbers)


def test_the_items_and_their_answers_are_one_query(
    use_case, sponsor, django_assert_max_num_queries
):
    services.checklist_start(use_case=use_case, by=sponsor)
    # The summary's other parts: scorecard, KPIs, prioritization, stage norm.
    with django_assert_max_num_queries(5):
        checklist = _summary(use_case)
    assert checklist.started
    assert all(line.item is not None for group in checklist.groups for line in group.lines)
