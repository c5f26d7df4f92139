"""Named people for every test: the lead, the sponsor, the technical lead, the
business unit head, the CIO, risk and compliance, an executive, a contributor
and an outsider who holds no role anywhere."""

from __future__ import annotations

import importlib

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import BusinessUnitFactory, UseCaseFactory, UserFactory
from tests.gates.helpers import make_open_review, make_submitted_review, upload_required
from tests.reporting.helpers import make_decided_review
from usecases.models import OrgRole

# Modules whose one fixture is slow to build, run whole by one xdist worker,
# which builds it once: the embedded default's server takes a minute or more
# to start, and each worker that got one of its tests started its own.
ONE_WORKER_MODULES = frozenset({"tests/test_embedded_default.py"})


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadgroup``, as ``make test`` runs the suite: every test a unit
    of work of its own, as with ``--dist load``, but each module of
    ONE_WORKER_MODULES one unit. (xdist 3.8 names a test's group by rewriting
    its node id, which pytest 9 no longer reads: its own ``xdist_group``
    marker would leave every test a unit of its own.) Units go out in the
    order ``_run_order`` sorted them, the larger units first."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerModules(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in ONE_WORKER_MODULES else nodeid

    return OneWorkerModules(config, log)


def _run_order(item: pytest.Item) -> int:
    if item.get_closest_marker("browser"):
        return 3
    # The fuzz runs take minutes each: first among the tests that flush, so
    # that with several xdist workers the shorter tests after them even out
    # the workers' ends instead of one worker finishing them alone.
    if item.get_closest_marker("fuzz"):
        return 1
    if "live_server" in getattr(item, "fixturenames", ()) or _is_transactional(item):
        return 2
    return 0


def _is_transactional(item: pytest.Item) -> bool:
    if "transactional_db" in getattr(item, "fixturenames", ()):
        return True
    marker = item.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))


def _skip_postgres_only(items: list[pytest.Item]) -> None:
    """Skip, with its reason, every test marked ``postgres("why")`` when the
    suite runs on another database (SQLite, the embedded default)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    for item in items:
        marker = item.get_closest_marker("postgres")
        if marker is not None:
            why = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
            item.add_marker(pytest.mark.skip(reason=f"needs PostgreSQL: {why}"))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip the PostgreSQL-only tests on another database; run the tests that
    flush the database last, as Django's own runner does (the schemathesis
    runs first among them), and the browser journeys after them.

    A test that reaches the database only through ``request.getfixturevalue``
    looks database-free to pytest-django; run before a flush it still finds
    the rows the data migrations wrote. Browser journeys come last because,
    from the first one on, Playwright's event loop lives in the test thread.
    """
    _skip_postgres_only(items)
    items.sort(key=_run_order)  # stable: keeps the order within each group


# Data migrations that load reference data: (a model they fill, the migration
# module, its loader). A flush by a transactional test removes these rows.
DATA_MIGRATIONS = [
    ("gates.GateTemplate", "gates.migrations.0002_framework_templates", "load_framework"),
    ("gates.Control", "gates.migrations.0010_regulated_evidence", "load"),
    ("gates.DecommissioningStep", "gates.migrations.0012_recertification_data", "load"),
    ("readiness.ScorecardItem", "readiness.migrations.0002_default_definitions", "load"),
    ("gates.ExitReason", "gates.migrations.0014_exit_reasons_data", "load"),
    ("value.CostMultiplier", "value.migrations.0002_default_multipliers", "load"),
]
# Data migrations that change what an earlier one loaded: run again after it.
FOLLOW_UPS = {
    "gates.GateTemplate": [
        ("gates.migrations.0009_bands_and_validity_defaults", "apply_defaults"),
    ],
    # The Recertification gate cites controls of 0010.
    "gates.Control": [("gates.migrations.0012_recertification_data", "load")],
}


def ensure_reference_data() -> None:
    """Re-create what the data migrations load when a flush removed it: the
    organisation-role groups, the gate framework, the readiness definitions."""
    from django.apps import apps
    from django.contrib.auth.models import Group

    from usecases.models import OrgRole

    for name in OrgRole.values:
        Group.objects.get_or_create(name=name)
    for model_label, module_name, loader in DATA_MIGRATIONS:
        if not apps.get_model(model_label).objects.exists():
            getattr(importlib.import_module(module_name), loader)(apps, None)
            for follow_module, follow_loader in FOLLOW_UPS.get(model_label, ()):
                getattr(importlib.import_module(follow_module), follow_loader)(apps, None)


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request) -> None:
    if _is_transactional(request.node) or "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
        ensure_reference_data()


@pytest.fixture(autouse=True)
def cache_asked_again():
    """Each test starts with the cache asked (core.cache skips it for a while
    after a timeout) and its warnings due."""
    from core import cache as core_cache

    core_cache.warnings.reset()


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    # Uploaded artifacts and generated packs never land in var/media.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def dashboard_rendered_each_time(settings):
    """The dashboard's shared rendering is keyed on the audit trail's head,
    and factories write rows without the trail: tests would read each
    other's dashboards. tests/reporting/test_dashboard_cache.py turns it on."""
    settings.DASHBOARD_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language. A request activates the
    language it asked for (LocaleMiddleware) in the thread, and it stays
    active after the response: a test that asked in German must not leave
    the next test's services speaking German."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Hashing with the production hasher costs seconds per user; tests only
    # need passwords that check.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def lead(db):
    return UserFactory(
        username="lead", first_name="Lena", last_name="Lead", org_roles=[OrgRole.PROGRAM_LEAD]
    )


@pytest.fixture
def executive(db):
    return UserFactory(
        username="exec", first_name="Eve", last_name="Exec", org_roles=[OrgRole.EXECUTIVE]
    )


@pytest.fixture
def cio(db):
    return UserFactory(
        username="cio", first_name="Carl", last_name="Cio", org_roles=[OrgRole.CIO_CTO]
    )


@pytest.fixture
def risk(db):
    return UserFactory(
        username="risk", first_name="Rita", last_name="Risk", org_roles=[OrgRole.RISK_COMPLIANCE]
    )


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
def business_unit(buhead, sponsor):
    """Claims Operations: Bea heads it and Sam works in it (so Sam may
    propose its use cases)."""
    return BusinessUnitFactory(
        name="Claims Operations", code="claims", head=buhead, members=[sponsor]
    )


@pytest.fixture
def use_case(business_unit, sponsor, techlead, contributor):
    return UseCaseFactory(
        title="Claims triage assistant",
        business_unit=business_unit,
        sponsor=sponsor,
        technical_lead=techlead,
        contributors=[contributor],
    )


# --- The use case's gate reviews, one fixture per state a test needs ----------


@pytest.fixture
def open_review(use_case, lead):
    """The Gate 1 review of the use case, just opened by the lead, who chairs
    it: nothing uploaded, no criterion assessed."""
    return make_open_review(use_case, lead)


@pytest.fixture
def uploaded_review(use_case, lead, sponsor):
    """The Gate 1 review, still open, with every required artifact uploaded by
    the sponsor; no criterion assessed yet."""
    review = make_open_review(use_case, lead)
    upload_required(review, sponsor)
    return review


@pytest.fixture
def submitted_review(use_case, lead, sponsor):
    """The Gate 1 review with every required artifact uploaded and every
    criterion assessed as met, submitted by the sponsor: awaiting approvals."""
    return make_submitted_review(use_case, lead, sponsor)


@pytest.fixture
def decided_review(use_case, lead, sponsor):
    """The Gate 2 review (after a real Gate 1 Go), with evidence, approvals
    with comments, the PoC scorecard, a measured KPI and the readiness
    checklist started, decided Conditional Go with one condition."""
    return make_decided_review(use_case, lead, sponsor)


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


@pytest.fixture(autouse=True)
def audit_checkpoint_file(settings, tmp_path):
    """Each test's audit checkpoints in a file of its own: a checkpoint of one
    test database must never meet another's trail."""
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"
    return settings.AUDIT_CHECKPOINT_FILE


# --- Celery against a real broker ------------------------------------------------


@pytest.fixture
def broker():
    """Point the test process's Celery app at a broker (not eager) and put
    everything back afterwards."""
    from config.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url)

    def reset_pools() -> None:
        # Connections and producers are pooled per broker URL, in the app and
        # in kombu's global pools: drop them all, so the next publish connects
        # to the broker configured now.
        from kombu import pools

        pools.reset()
        if app._pool is not None:
            app._pool.force_close_all()
            app._pool = None
        app.amqp._producer_pool = None

    def use(url: str) -> None:
        reset_pools()
        app.conf.task_always_eager = False
        app.conf.broker_url = url

    yield use
    reset_pools()
    app.conf.task_always_eager, app.conf.broker_url = saved


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    """The OpenAPI schema as a client reads it, once per test module."""
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()
