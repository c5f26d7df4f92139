"""Schemathesis over the whole API, against the live server on PostgreSQL.

The schema is read from the running server (/api/schema/), and every
operation in it is called with generated requests, valid and invalid, as four
people signed in with a session cookie: a program lead, the use case's
sponsor, an executive (who reads everything and writes nothing) and the risk
and compliance officer (an approver). Each person gets seeded data through the
real services — a use case past two gates with an open Gate 3 review, KPIs, a
gate pack, a condition, a delegation — and every path names real rows, so the
calls reach the views instead of stopping at a 404.

Every response must be: no server error; a status the operation documents;
the content type it documents; a body that matches its schema; the headers
it documents. Generation is deterministic (fixed seed, derandomized) and
bounded (MAX_EXAMPLES valid and invalid requests per operation and person).

Rerun one operation as one person:

    FUZZ_OPERATION='POST /api/v1/reviews/{id}/submit/' \
        .venv/bin/python -m pytest tests/test_api_fuzz.py -k lead

FUZZ_COVERAGE=1 adds schemathesis's coverage phase (every boundary of every
field and parameter, hundreds of requests per operation): about 16 minutes
for the four people on two cores, too long for every run.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
import schemathesis
from django.utils import timezone
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gates import services as gates
from identity.models import GroupMapping
from integrations import services as integrations
from notifications.models import Kind, Notification
from notifications.services import Draft, notifications_create
from reporting import services as reporting
from reporting.models import PackStatus
from tests.factories import PASSWORD, UserFactory
from tests.gates.helpers import upload_required
from tests.reporting.helpers import make_decided_review
from tests.usecases.custom_field_helpers import define, define_the_usual
from usecases import services as usecase_services
from usecases.services import accounts
from value import services as value_services
from value.services import rollout

pytestmark = pytest.mark.fuzz

SEED = 20260117
# Requests per operation and person, valid and invalid together. Bounded so
# the four runs take under three minutes on two cores.
MAX_EXAMPLES = 12
ROLES = ["lead", "sponsor", "executive", "risk"]
# Not negative_data_rejection: DRF coerces input types by design (a CharField
# takes 0 as "0", a DecimalField 2.5 as well as "2.5", an IntegerField "5"),
# and the same serializers read form bodies, where every value is a string.
# Its other findings are fixed: an artifact list sent as an object, a
# scorecard citation withdrawn by a body that named nothing.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@dataclass
class World:
    """The rows every path parameter names, by the kind of row."""

    ids: dict[str, int | str]

    def path_parameters(self, path: str, names: list[str]) -> dict[str, int | str]:
        root = path.removeprefix("/api/v1/").split("/")[0]
        values = {}
        for name in names:
            kind = self.kind_of(path, root, name)
            if kind not in self.ids:
                pytest.fail(
                    f"{path}: no seeded row for {{{name}}}. Add one to the fuzz "
                    "run's seeded data (tests/test_api_fuzz.py) so it reaches the view."
                )
            values[name] = self.ids[kind]
        return values

    @staticmethod
    def kind_of(path: str, root: str, name: str) -> str:
        if name in ("id", "pk"):
            if path.startswith("/api/v1/reviews/{id}/packs/"):
                return "decided_review"
            return root
        return {
            "review_id": "reviews",
            "criterion_id": "criterion",
            "approver_id": "approver",
            "item_id": "checklist_item",
            "kpi_id": "kpis",
            "member_pk": "member",
            "token_id": "token",
        }.get(name, name)


@pytest.fixture(params=ROLES)
def role(request) -> str:
    return request.param


@pytest.fixture
def world(live_server, lead, sponsor, risk, cio, use_case) -> World:
    """A use case past Gate 1 (Go) and Gate 2 (Conditional Go, with a ready
    gate pack), its Gate 3 review open with the required artifacts uploaded,
    and a delegation from the CIO to the risk officer."""
    decided = make_decided_review(use_case, lead, sponsor)
    # Generated for real (Celery runs eagerly in tests): the download answers a PDF.
    pack = reporting.pack_request(review=decided, by=lead).pack
    pack.refresh_from_db()
    assert pack.status == PackStatus.READY, pack.failure_reason
    review = gates.review_open(use_case=use_case, by=lead)
    upload_required(review, sponsor)
    today = timezone.localdate()
    delegation = gates.delegation_create(
        by=cio,
        delegate=risk,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=7),
        reason="Away at the board offsite.",
    )
    benefit = value_services.benefit_create(
        use_case=use_case, by=sponsor, name="Analyst hours saved", annual_amount="120000"
    )
    waves = rollout.waves_plan(use_case=use_case, by=lead)
    # Registered by an administrator; none of the four people may manage it
    # (403 for every webhook operation), and nothing is ever sent to it.
    webhook = integrations.endpoint_create(
        by=UserFactory(username="admin", is_superuser=True, is_staff=True),
        name="Governance feed",
        url="http://127.0.0.1:9/never-called",
        event_types=["gate.decided"],
        active=False,
    )
    # Custom fields of every kind, with values on the use case; one is
    # required from Scale (it holds back no review opened here).
    fields = define_the_usual()
    define("exit_plan", "Exit plan", "text", required_from="scale", order=7)
    usecase_services.usecase_update(
        use_case=use_case,
        by=lead,
        custom_values={"region": "US East", "channels": ["Web"], "data_owner": sponsor.pk},
    )
    ids: dict[str, int | str] = {
        "use-cases": use_case.pk,
        "benefit_id": benefit.pk,
        "rollout-waves": waves[0].pk,
        "reviews": review.pk,
        "decided_review": decided.pk,
        "criterion": review.criteria.order_by("pk").first().pk,
        "approver": review.approvers.order_by("pk").first().pk,
        "checklist_item": 1,
        "kpis": use_case.kpis.first().pk,
        "artifacts": use_case.artifacts.order_by("pk").first().pk,
        "packs": pack.pk,
        "webhooks": webhook.pk,
        "conditions": decided.conditions.first().pk,
        "delegations": delegation.pk,
        "business-units": use_case.business_unit_id,
        "custom-fields": fields["region"].pk,
        "member": use_case.business_unit.memberships.order_by("pk").first().pk,
        # Classified through the services by the factory (decided already).
        "risk-classifications": use_case.risk_classifications.order_by("-version").first().pk,
        # /api/v1/sso/group-mappings/{id}/
        "sso": GroupMapping.objects.create(idp_group="stagegate-leads", org_role="Executive").pk,
    }
    return World(ids)


@dataclass
class SignedIn:
    session: requests.Session
    headers: dict[str, str]


@pytest.fixture
def signed_in(live_server, world, role, request) -> Iterator[SignedIn]:
    """A session signed in through the login form, as a browser would be:
    the session cookie, and the CSRF token sent back for unsafe methods."""
    user = request.getfixturevalue(role)
    session = requests.Session()
    login = f"{live_server.url}/accounts/login/"
    session.get(login, timeout=10).raise_for_status()
    answer = session.post(
        login,
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": login},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302 and "sessionid" in session.cookies, answer.text
    token, _key = accounts.token_create(by=user, user=user)
    world.ids["token"] = accounts.token_id(token)
    notifications_create(
        [
            Draft(
                user.pk,
                Kind.APPROVAL_REQUESTED,
                "review",
                world.ids["reviews"],
                "",
                "Approval requested: Gate 3 review of “Claims triage assistant”",
                "Record your decision.",
                f"/reviews/{world.ids['reviews']}/",
            )
        ]
    )
    world.ids["notifications"] = Notification.objects.filter(recipient=user).latest("pk").pk
    yield SignedIn(session, {"X-CSRFToken": session.cookies["csrftoken"]})
    session.close()


@pytest.fixture
def api_schema(live_server, world, signed_in, request) -> schemathesis.BaseSchema:
    # schemathesis 4.32 renames the test after each operation through the
    # node's ``_nodeid``, which pytest 9.2 no longer has (it keeps ``_id``):
    # give it one to rename, the reports name each operation anyway.
    request.node._nodeid = request.node.nodeid
    url = f"{live_server.url}/api/schema/?format=json"
    raw = requests.get(url, timeout=30)
    raw.raise_for_status()
    operations = []
    for path in raw.json()["paths"]:
        names = re.findall(r"\{(\w+)\}", path)
        if names:
            values = world.path_parameters(path, names)
            operations.append(
                {
                    "include-path": path,
                    "parameters": {f"path.{name}": value for name, value in values.items()},
                }
            )
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": live_server.url,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                # A failure is reported as found: shrinking it could cost
                # hundreds of requests more.
                "no-shrink": True,
                # The session cookie is the credential; no generated ones.
                "with-security-parameters": False,
            },
            "phases": {
                "coverage": {"enabled": os.environ.get("FUZZ_COVERAGE") == "1"},
                "stateful": {"enabled": False},
            },
            "operations": operations,
        }
    )
    return schemathesis.openapi.from_url(url, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")
if os.environ.get("FUZZ_OPERATION"):
    schema = schema.include(name=os.environ["FUZZ_OPERATION"])


@schema.parametrize()
def test_api_fuzz(case, signed_in):
    case.call_and_validate(
        session=signed_in.session, headers=signed_in.headers, checks=CHECKS, timeout=60
    )
