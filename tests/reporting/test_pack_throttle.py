"""Pack requests are bounded per person (THROTTLE_PACK_REQUESTS), through the
API and the review page alike: past the rate the API answers 429 in the one
error shape with Retry-After, the page shows the refusal in place."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from reporting.models import GatePack

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def three_an_hour(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"pack_requests": "3/hour", "imports": "60/hour"},
    }
    cache.clear()
    yield
    cache.clear()


def test_the_fourth_request_in_an_hour_is_429_with_retry_after(api_as, decided_review, lead):
    client = api_as(lead)
    url = f"/api/v1/reviews/{decided_review.pk}/packs/"
    codes = [client.post(url).status_code for _ in range(3)]
    assert codes == [202, 200, 200]
    response = client.post(url)
    assert response.status_code == 429
    body = response.json()
    assert body["detail"].startswith("Too many pack requests: try again in ")
    assert body["reasons"] == ["Each person may make at most 3 pack requests per hour."]
    assert 3500 <= int(response["Retry-After"]) <= 3600
    assert GatePack.objects.count() == 1


def test_reading_the_packs_is_not_counted(api_as, decided_review, lead):
    client = api_as(lead)
    url = f"/api/v1/reviews/{decided_review.pk}/packs/"
    for _ in range(5):
        assert client.get(url).status_code == 200
    assert client.post(url).status_code == 202


def test_each_person_has_an_allowance(api_as, decided_review, lead, sponsor):
    url = f"/api/v1/reviews/{decided_review.pk}/packs/"
    for _ in range(3):
        api_as(lead).post(url)
    assert api_as(lead).post(url).status_code == 429
    assert api_as(sponsor).post(url).status_code == 200


def test_the_page_and_the_api_share_the_allowance(client_as, api_as, decided_review, lead):
    browser = client_as(lead)
    page_url = f"/reviews/{decided_review.pk}/packs/request/"
    for _ in range(3):
        assert browser.post(page_url, headers=HTMX).status_code == 200
    assert api_as(lead).post(f"/api/v1/reviews/{decided_review.pk}/packs/").status_code == 429


def test_the_page_shows_the_refusal_in_place(client_as, decided_review, lead):
    browser = client_as(lead)
    page_url = f"/reviews/{decided_review.pk}/packs/request/"
    for _ in range(3):
        browser.post(page_url, headers=HTMX)
    response = browser.post(page_url, headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#flash"
    text = response.content.decode()
    assert "Too many pack requests: try again in " in text
    assert "Each person may make at most 3 pack requests per hour." in text


def test_a_plain_post_past_the_rate_goes_back_with_the_message(client_as, decided_review, lead):
    browser = client_as(lead)
    page_url = f"/reviews/{decided_review.pk}/packs/request/"
    review_url = decided_review.get_absolute_url()
    for _ in range(3):
        browser.post(page_url)
    response = browser.post(page_url, headers={"Referer": f"http://testserver{review_url}"})
    assert response.status_code == 302
    assert response["Location"] == f"http://testserver{review_url}"
    page = browser.get(review_url)
    assert "Too many pack requests: try again in " in page.content.decode()
