"""Named people for every test: the lead, the sponsor, the technical lead, the
business unit head, the CIO, risk and compliance, an executive, a contributor
and an outsider who holds no role anywhere."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import BusinessUnitFactory, UseCaseFactory, UserFactory
from usecases.models import OrgRole


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Hashing with the production hasher costs seconds per user; tests only
    # need passwords that check.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def lead(db):
    return UserFactory(username="lead", first_name="Lena", last_name="Lead",
                       org_roles=[OrgRole.PROGRAM_LEAD])


@pytest.fixture
def executive(db):
    return UserFactory(username="exec", first_name="Eve", last_name="Exec",
                       org_roles=[OrgRole.EXECUTIVE])


@pytest.fixture
def cio(db):
    return UserFactory(username="cio", first_name="Carl", last_name="Cio",
                       org_roles=[OrgRole.CIO_CTO])


@pytest.fixture
def risk(db):
    return UserFactory(username="risk", first_name="Rita", last_name="Risk",
                       org_roles=[OrgRole.RISK_COMPLIANCE])


@pytest.fixture
def sponsor(db):
    return UserFactory(username="sponsor", first_name="Sam", last_name="Sponsor")


@pytest.fixture
def techlead(db):
    return UserFactory(username="techlead", first_name="Tara", last_name="Tech")


@pytest.fixture
def contributor(db):
    return UserFactory(username="contrib", first_name="Cody", last_name="Contrib")


@pytest.fixture
def buhead(db):
    return UserFactory(username="buhead", first_name="Bea", last_name="Head")


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider", first_name="Otto", last_name="Outsider")


@pytest.fixture
def business_unit(buhead):
    return BusinessUnitFactory(name="Claims Operations", code="claims", head=buhead)


@pytest.fixture
def use_case(business_unit, sponsor, techlead, contributor):
    return UseCaseFactory(
        title="Claims triage assistant",
        business_unit=business_unit,
        sponsor=sponsor,
        technical_lead=techlead,
        contributors=[contributor],
    )


@pytest.fixture
def api():
    """An API client; call ``api.force_authenticate(user)`` or use ``api_as``."""
    return APIClient()


@pytest.fixture
def api_as():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def client_as(client):
    """A browser-like client signed in as the given user."""

    def make(user):
        from django.test import Client

        c = Client()
        c.force_login(user)
        return c

    return make
