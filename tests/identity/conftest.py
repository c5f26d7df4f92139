from __future__ import annotations

import pytest

from identity.models import GroupMapping
from tests.factories import BusinessUnitFactory, UserFactory
from tests.identity.oidc_provider import oidc_provider  # noqa: F401  (a fixture)
from usecases.models import OrgRole


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def claims_unit(db):
    return BusinessUnitFactory(name="Claims Operations", code="claims")


@pytest.fixture
def mappings(claims_unit):
    """The provider's program leads are program leads here; its "bu-claims"
    group works in Claims Operations."""
    return {
        "leads": GroupMapping.objects.create(
            idp_group="stagegate-program-leads", org_role=OrgRole.PROGRAM_LEAD
        ),
        "claims": GroupMapping.objects.create(idp_group="bu-claims", business_unit=claims_unit),
    }
