from __future__ import annotations

from django.http import HttpRequest

from usecases import access, rules


def roles(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "is_program_lead": access.is_program_lead(user),
        "is_executive": access.is_executive(user),
        "sees_whole_portfolio": access.sees_whole_portfolio(user),
        "is_risk_officer": rules.is_risk_officer(user),
    }
