"""Every change to a use case's money: one function per action.

Each one is atomic, locks the use case row first (the order the gate engine
and readiness use, so they never deadlock), checks who is asking and the
current state, raises a domain error carrying the reasons, touches the use
case's activity time and writes its audit event in the same transaction.
The cost multipliers are the framework's: the admin edits them through
``cost_multiplier_*``, which audit every change.
"""

from value.services._base import MAX_AMOUNT, clean_amount
from value.services.benefits import (
    benefit_create,
    benefit_delete,
    benefit_realisation_record,
    benefit_update,
)
from value.services.costs import cost_lines_set
from value.services.multipliers import (
    cost_multiplier_change,
    cost_multiplier_create,
    cost_multiplier_delete,
)

__all__ = [
    "MAX_AMOUNT",
    "benefit_create",
    "benefit_delete",
    "benefit_realisation_record",
    "benefit_update",
    "clean_amount",
    "cost_lines_set",
    "cost_multiplier_change",
    "cost_multiplier_create",
    "cost_multiplier_delete",
]
