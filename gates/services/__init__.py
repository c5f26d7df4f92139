"""Every state change of the gate engine: one function per action.

Each one is atomic, locks what it changes (always the use case row first, then
the review, so two actions on one use case never deadlock), checks the current
state, raises a domain error carrying the reasons, and writes its audit event
in the same transaction.
"""

from gates.services._base import GO_CHECKS, GoCheck, register_go_check, touch
from gates.services.artifacts import artifact_upload
from gates.services.decisions import (
    condition_close,
    gate_decide,
    go_blockers,
    usecase_resume,
)
from gates.services.reviews import (
    ResolvedApprover,
    approval_record,
    criterion_assess,
    resolve_approvers,
    review_open,
    review_submit,
    role_applies,
    submission_blockers,
)

__all__ = [
    "GO_CHECKS",
    "GoCheck",
    "ResolvedApprover",
    "approval_record",
    "artifact_upload",
    "condition_close",
    "criterion_assess",
    "gate_decide",
    "go_blockers",
    "register_go_check",
    "resolve_approvers",
    "review_open",
    "review_submit",
    "role_applies",
    "submission_blockers",
    "touch",
    "usecase_resume",
]
