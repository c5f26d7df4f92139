from __future__ import annotations

from core.audit import audit_verify
from gates.models import StageTransition
from tests.gates.helpers import pass_gate
from usecases.models import Stage


def test_it_takes_a_use_case_through_all_four_gates(lead, sponsor, cio, risk, use_case):
    for expected in (Stage.POC, Stage.PILOT, Stage.PRODUCTION, Stage.SCALE):
        pass_gate(use_case, lead, sponsor)
        use_case.refresh_from_db()
        assert use_case.stage == expected
    assert StageTransition.objects.filter(use_case=use_case).count() == 4
    checked, broken = audit_verify()
    assert broken is None and checked > 20
