"""Custom fields defined as an administrator would, through the service."""

from __future__ import annotations

from tests.factories import UserFactory
from usecases.models import CustomField
from usecases.services import custom_field_create


def administrator():
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


def define(
    key: str,
    label: str,
    kind: str,
    *,
    choices: list[str] | None = None,
    required_from: str = "",
    order: int = 0,
    by=None,
) -> CustomField:
    return custom_field_create(
        by=by or administrator(),
        field=CustomField(
            key=key,
            label=label,
            kind=kind,
            choices=choices or [],
            required_from_stage=required_from,
            order=order,
        ),
    )


REGIONS = ["EU (Frankfurt)", "EU (Dublin)", "US East"]
CHANNELS = ["Web", "Phone", "Branch"]


def define_the_usual(**kwargs) -> dict[str, CustomField]:
    """One field of every kind."""
    return {
        "data_owner": define("data_owner", "Data owner", "person", order=1, **kwargs),
        "cost_centre": define("cost_centre", "Cost centre", "text", order=2, **kwargs),
        "budget": define("budget", "Budget", "number", order=3, **kwargs),
        "go_live": define("go_live", "Go-live date", "date", order=4, **kwargs),
        "region": define("region", "Deployment region", "choice", choices=REGIONS, order=5),
        "channels": define("channels", "Channels", "multi_choice", choices=CHANNELS, order=6),
    }
