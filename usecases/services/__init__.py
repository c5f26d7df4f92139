"""Every change to the portfolio: one function per action, atomic, checked, audited."""

from usecases.rules import EDIT_REFUSAL, TEAM_REFUSAL
from usecases.services.accounts import (
    ACCOUNT_REFUSAL,
    GROUP_FIELDS,
    TOKEN_PREFIX_LENGTH,
    USER_FIELDS,
    group_admin_change,
    group_admin_create,
    group_admin_delete,
    token_create,
    token_delete,
    user_admin_change,
    user_admin_create,
    user_admin_delete,
    user_password_set,
)
from usecases.services.framework import (
    BUSINESS_UNIT_FIELDS,
    business_unit_change,
    business_unit_create,
    business_unit_delete,
)
from usecases.services.portfolio import (
    EDITABLE_FIELDS,
    member_add,
    member_remove,
    usecase_create,
    usecase_ensure_creatable,
    usecase_ensure_editable,
    usecase_reclassify,
    usecase_update,
)

__all__ = [
    "ACCOUNT_REFUSAL",
    "BUSINESS_UNIT_FIELDS",
    "EDITABLE_FIELDS",
    "EDIT_REFUSAL",
    "GROUP_FIELDS",
    "TEAM_REFUSAL",
    "TOKEN_PREFIX_LENGTH",
    "USER_FIELDS",
    "business_unit_change",
    "business_unit_create",
    "business_unit_delete",
    "group_admin_change",
    "group_admin_create",
    "group_admin_delete",
    "member_add",
    "member_remove",
    "token_create",
    "token_delete",
    "usecase_create",
    "usecase_ensure_creatable",
    "usecase_ensure_editable",
    "usecase_reclassify",
    "usecase_update",
    "user_admin_change",
    "user_admin_create",
    "user_admin_delete",
    "user_password_set",
]
