"""Django's cache in a Redis that stops answering (CACHE_IN_REDIS=1, as
docker-compose.yml runs it), with a private redis-server stopped and started
again: what the cache only speeds up (the dashboard, a review's pack
digest, the value panel) is read from the database meanwhile; what it keeps
as state (the rate limits' counts, the file a bulk import checked) is a 503
with Retry-After that changes nothing, and the request succeeds once Redis is
back."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import REGISTRY

from reporting.models import GatePack
from tests.usecases.import_files import HEADER, csv_file
from tests.workers import redis_cache
from usecases.models import UseCase

pytestmark = pytest.mark.django_db

UNAVAILABLE = "A service the site needs is unavailable for a moment; try again in a few seconds."
REASON = (
    "Redis, which keeps the rate limits and the files a bulk import checked, did not "
    "answer: it may be restarting."
)


@pytest.fixture
def cache_in_redis(settings, redis_server):
    settings.CACHES = redis_cache(redis_server.url)
    # What the cache speeds up, kept (the test settings turn the dashboard's off).
    settings.DASHBOARD_CACHE_SECONDS = 60
    settings.VALUE_DASHBOARD_CACHE_SECONDS = 60
    settings.PACK_STALENESS_CACHE_SECONDS = 60
    return redis_server


def _cache_failures() -> float:
    return REGISTRY.get_sample_value("stagegate_cache_unavailable_total")


def _redis_503s() -> float:
    return REGISTRY.get_sample_value(
        "stagegate_service_unavailable_responses_total", {"service": "redis"}
    )


def test_what_the_cache_only_speeds_up_is_read_from_the_database_while_redis_is_down(
    cache_in_redis, client_as, api_as, executive, lead, decided_review, caplog
):
    # A pack, so that the review page reads its digest through the cache.
    assert api_as(lead).post(f"/api/v1/reviews/{decided_review.pk}/packs/").status_code == 202
    assert client_as(executive).get("/dashboard/").status_code == 200
    before = _cache_failures()
    cache_in_redis.stop()
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        dashboard = client_as(executive).get("/dashboard/")
        review = client_as(lead).get(f"/reviews/{decided_review.pk}/")
        value = api_as(executive).get("/api/v1/dashboard/value/")
        packs = api_as(lead).get(f"/api/v1/reviews/{decided_review.pk}/packs/")
    assert dashboard.status_code == 200
    assert 'id="funnel"' in dashboard.content.decode()
    assert review.status_code == 200
    assert decided_review.use_case.title in review.content.decode()
    assert value.status_code == 200 and "currency" in value.json()
    assert packs.status_code == 200 and len(packs.json()) == 1
    # One line for the outage, however many reads it cost; each is counted.
    lines = [r.getMessage() for r in caplog.records if r.name == "core.cache"]
    assert len(lines) == 1, lines
    assert lines[0].startswith("Redis unavailable, computed dashboard:")
    assert "without the cache (1 time(s) since the last such line)" in lines[0]
    assert _cache_failures() >= before + 4


def test_a_pack_request_is_a_503_that_makes_no_pack_while_the_rate_count_is_unreachable(
    cache_in_redis, client_as, api_as, lead, decided_review, caplog
):
    url = f"/api/v1/reviews/{decided_review.pk}/packs/"
    before = _redis_503s()
    cache_in_redis.stop()
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        response = api_as(lead).post(url)
        page = client_as(lead).post(f"/reviews/{decided_review.pk}/packs/request/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": UNAVAILABLE, "reasons": [REASON], "fields": {}}
    assert page.status_code == 503
    assert UNAVAILABLE in page.content.decode()
    assert not GatePack.objects.exists()
    assert _redis_503s() == before + 2
    assert any(
        r.getMessage().startswith(f"Redis unavailable, answered 503 to POST {url}: ")
        for r in caplog.records
    )

    cache_in_redis.start()
    assert api_as(lead).post(url).status_code == 202
    assert GatePack.objects.count() == 1


def test_a_checked_import_waits_for_redis_and_imports_once_it_is_back(
    cache_in_redis, client_as, sponsor, business_unit, techlead
):
    browser = client_as(sponsor)
    good = csv_file([HEADER, ["Claims intake bot", "Reads forms.", "claims", "techlead"]])
    page = browser.post("/use-cases/import/", {"file": good}).content.decode()
    assert "Import 1 use case" in page
    digest = page.split('name="confirm" value="', 1)[1].split('"', 1)[0]

    cache_in_redis.stop()
    response = browser.post("/use-cases/import/", {"confirm": digest})
    assert response.status_code == 503
    assert REASON in response.content.decode()
    assert not UseCase.objects.exists()
    # Checking another file needs the cache too: nothing is kept, nothing imported.
    again = csv_file([HEADER, ["Fraud triage", "Ranks alerts.", "claims", "techlead"]])
    assert browser.post("/use-cases/import/", {"file": again}).status_code == 503

    # This Redis keeps nothing through a restart (compose's appends to disk):
    # the button asks for the file again, which then imports.
    cache_in_redis.start()
    response = browser.post("/use-cases/import/", {"confirm": digest})
    assert response.status_code == 400
    assert "upload it again" in response.content.decode()
    good.seek(0)
    page = browser.post("/use-cases/import/", {"file": good}).content.decode()
    digest = page.split('name="confirm" value="', 1)[1].split('"', 1)[0]
    response = browser.post("/use-cases/import/", {"confirm": digest}, follow=True)
    assert response.redirect_chain[-1][0] == "/portfolio/"
    assert list(UseCase.objects.values_list("title", flat=True)) == ["Claims intake bot"]


def test_a_redis_out_of_memory_serves_the_pages_and_refuses_a_counted_request(
    cache_in_redis, client_as, api_as, executive, lead, decided_review
):
    """A Redis that answers but takes no write (maxmemory reached with
    noeviction: "OOM command not allowed"; a failed save answers MISCONF
    the same way): what the cache speeds up is read without keeping it, a
    request it must count is a 503."""
    import redis

    client = redis.Redis.from_url(cache_in_redis.url)
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("maxmemory", 1)
    try:
        assert client_as(executive).get("/dashboard/").status_code == 200
        response = api_as(lead).post(f"/api/v1/reviews/{decided_review.pk}/packs/")
        assert response.status_code == 503
        assert response.json()["reasons"] == [REASON]
        assert not GatePack.objects.exists()
    finally:
        client.config_set("maxmemory", 0)
        client.close()
    assert api_as(lead).post(f"/api/v1/reviews/{decided_review.pk}/packs/").status_code == 202
