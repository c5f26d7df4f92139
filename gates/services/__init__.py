"""Every state change of the gate engine: one function per action.

Each one is atomic, locks what it changes (always the use case row first, then
the review, so two actions on one use case never deadlock), checks the current
state, raises a domain error carrying the reasons, and writes its audit event
in the same transaction.
"""

from gates.services._base import (
    ASSESSMENT_GUARDS,
    GO_CHECKS,
    GoCheck,
    register_assessment_guard,
    register_decision_check,
    register_go_check,
    touch,
)
from gates.services.artifacts import artifact_upload
from gates.services.decisions import (
    GoReadiness,
    condition_close,
    gate_decide,
    go_blockers,
    go_readiness,
    usecase_resume,
)
from gates.services.framework import (
    artifact_type_change,
    artifact_type_create,
    artifact_type_delete,
    framework_ensure_allowed,
    framework_fields,
    framework_row_change,
    framework_row_delete,
    framework_validate,
    framework_values,
    gate_approver_role_change,
    gate_approver_role_create,
    gate_approver_role_delete,
    gate_criterion_change,
    gate_criterion_create,
    gate_criterion_delete,
    gate_template_change,
    gate_template_create,
)
from gates.services.reviews import (
    ResolvedApprover,
    approval_record,
    approval_reject_and_return,
    criterion_assess,
    resolve_approvers,
    return_refusal_for,
    review_open,
    review_reschedule,
    review_return,
    review_submit,
    role_applies,
    submission_blockers,
)
from gates.services.seats import approver_reassign, delegation_create, delegation_revoke

__all__ = [
    "ASSESSMENT_GUARDS",
    "GO_CHECKS",
    "GoCheck",
    "GoReadiness",
    "ResolvedApprover",
    "approval_record",
    "approval_reject_and_return",
    "approver_reassign",
    "artifact_type_change",
    "artifact_type_create",
    "artifact_type_delete",
    "artifact_upload",
    "condition_close",
    "criterion_assess",
    "delegation_create",
    "delegation_revoke",
    "framework_ensure_allowed",
    "framework_fields",
    "framework_row_change",
    "framework_row_delete",
    "framework_validate",
    "framework_values",
    "gate_approver_role_change",
    "gate_approver_role_create",
    "gate_approver_role_delete",
    "gate_criterion_change",
    "gate_criterion_create",
    "gate_criterion_delete",
    "gate_decide",
    "gate_template_change",
    "gate_template_create",
    "go_blockers",
    "go_readiness",
    "register_assessment_guard",
    "register_decision_check",
    "register_go_check",
    "resolve_approvers",
    "return_refusal_for",
    "review_open",
    "review_reschedule",
    "review_return",
    "review_submit",
    "role_applies",
    "submission_blockers",
    "touch",
    "usecase_resume",
]
