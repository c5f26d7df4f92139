"""The inbox page, the bell, the preferences page and the API: the
permission ladder, htmx and plain posts, and constant query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notifications.models import EmailMode, Kind, Notification, NotificationPreference
from notifications.services import Draft, notifications_create


def make(user, count: int, *, start: int = 0) -> list[Notification]:
    notifications_create(
        [
            Draft(
                user.pk,
                Kind.APPROVAL_REQUESTED,
                "review",
                start + i,
                "",
                f"Approval requested: Gate 1 review of “Use case {start + i}”",
                "Record your decision.",
                f"/reviews/{start + i}/",
            )
            for i in range(count)
        ]
    )
    return list(Notification.objects.filter(recipient=user).order_by("-created_at", "-id"))


# --- Page ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in (reverse("inbox"), reverse("notification-preferences")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post(reverse("inbox-read-all")).status_code == 302


def test_the_inbox_lists_only_mine_newest_first_with_unread_highlighted(
    client_as, sponsor, outsider
):
    rows = make(sponsor, 3)
    make(outsider, 1, start=100)
    rows[1].read_at = rows[1].created_at
    rows[1].save()
    response = client_as(sponsor).get(reverse("inbox"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Use case 2") < html.index("Use case 1") < html.index("Use case 0")
    assert "Use case 100" not in html
    assert html.count('class="card unread"') == 2
    # The bell partial, with the unread count.
    assert 'id="notification-bell"' in html and 'data-unread="2"' in html
    assert "style=" not in html and "<script>" not in html


def test_an_empty_inbox_says_so(client_as, outsider):
    response = client_as(outsider).get(reverse("inbox"))
    assert "No notifications yet" in response.content.decode()
    assert "data-unread" not in response.content.decode()


def test_the_inbox_is_paginated(client_as, sponsor, settings):
    settings.NOTIFICATIONS_INBOX_PAGE_SIZE = 5
    make(sponsor, 12)
    page3 = client_as(sponsor).get(reverse("inbox") + "?page=3").content.decode()
    assert "Page 3 of 3" in page3 and page3.count('class="card unread"') == 2
    unread = client_as(sponsor).get(reverse("inbox") + "?unread=1&page=99")
    assert unread.status_code == 200


def test_mark_one_read_with_htmx_swaps_the_item_and_the_bell(client_as, sponsor):
    rows = make(sponsor, 2)
    response = client_as(sponsor).post(
        reverse("inbox-read", args=[rows[0].pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="notification-{rows[0].pk}"' in html and 'class="muted"' in html
    assert 'hx-swap-oob="true"' in html and 'data-unread="1"' in html
    rows[0].refresh_from_db()
    assert rows[0].read_at is not None


def test_mark_one_read_without_javascript_redirects_back(client_as, sponsor):
    rows = make(sponsor, 1)
    response = client_as(sponsor).post(reverse("inbox-read", args=[rows[0].pk]), {"page": "2"})
    assert response.status_code == 302 and response["Location"] == "/inbox/?page=2"
    rows[0].refresh_from_db()
    assert rows[0].read_at is not None


def test_somebody_elses_notification_is_not_found(client_as, sponsor, outsider):
    rows = make(sponsor, 1)
    response = client_as(outsider).post(reverse("inbox-read", args=[rows[0].pk]))
    assert response.status_code == 404
    rows[0].refresh_from_db()
    assert rows[0].read_at is None


def test_opening_a_notification_marks_it_read_and_follows_its_link(client_as, sponsor):
    rows = make(sponsor, 1)
    client = client_as(sponsor)
    inbox = client.get(reverse("inbox")).content.decode()
    assert f'href="/inbox/{rows[0].pk}/open/">Open</a>' in inbox
    response = client.get(reverse("inbox-open", args=[rows[0].pk]))
    assert response.status_code == 302 and response["Location"] == rows[0].link
    rows[0].refresh_from_db()
    assert rows[0].read_at is not None


def test_opening_never_leaves_the_site_nor_opens_somebody_elses(client_as, sponsor, outsider):
    rows = make(sponsor, 1)
    Notification.objects.filter(pk=rows[0].pk).update(link="https://evil.example.com/")
    assert client_as(outsider).get(reverse("inbox-open", args=[rows[0].pk])).status_code == 404
    response = client_as(sponsor).get(reverse("inbox-open", args=[rows[0].pk]))
    assert response.status_code == 302 and response["Location"] == "/inbox/"


def test_mark_all_read(client_as, sponsor, outsider):
    make(sponsor, 3)
    make(outsider, 2, start=10)
    response = client_as(sponsor).post(reverse("inbox-read-all"), headers={"HX-Request": "true"})
    assert response.status_code == 200 and "0 unread" in response.content.decode()
    assert not Notification.objects.filter(recipient=sponsor, read_at=None).exists()
    assert Notification.objects.filter(recipient=outsider, read_at=None).count() == 2
    plain = client_as(outsider).post(reverse("inbox-read-all"), follow=True)
    assert "Marked 2 notifications as read." in plain.content.decode()


def test_mark_read_only_by_post(client_as, sponsor):
    rows = make(sponsor, 1)
    assert client_as(sponsor).get(reverse("inbox-read", args=[rows[0].pk])).status_code == 405


@pytest.mark.parametrize("size", [3, 30])
def test_the_inbox_page_costs_the_same_queries_at_any_size(
    client_as, sponsor, size, django_assert_num_queries
):
    make(sponsor, size)
    client = client_as(sponsor)
    # session, user, page count, unread count, org roles (top bar), the page
    with django_assert_num_queries(6):
        assert client.get(reverse("inbox")).status_code == 200


def test_preferences_are_saved_and_shown(client_as, sponsor):
    client = client_as(sponsor)
    page = client.get(reverse("notification-preferences"))
    assert page.status_code == 200 and 'id="id_email_mode_0" checked' in page.content.decode()
    response = client.post(
        reverse("notification-preferences"),
        {"email_mode": "digest", "email_kinds": [Kind.APPROVAL_REQUESTED, Kind.GATE_DECIDED]},
    )
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=sponsor)
    assert preference.email_mode == EmailMode.DIGEST
    assert Kind.APPROVAL_REMINDER in preference.email_kinds_off
    assert Kind.GATE_DECIDED not in preference.email_kinds_off
    bad = client.post(reverse("notification-preferences"), {"email_mode": "sometimes"})
    assert bad.status_code == 400 and "errorlist" in bad.content.decode()


# --- API --------------------------------------------------------------------------


def test_the_api_needs_a_signed_in_caller(api):
    assert api.get("/api/v1/notifications/").status_code == 403
    assert api.post("/api/v1/notifications/read-all/").status_code == 403


def test_the_api_lists_the_callers_notifications_and_filters_unread(api_as, sponsor, outsider):
    rows = make(sponsor, 3)
    make(outsider, 1, start=50)
    rows[0].read_at = rows[0].created_at
    rows[0].save()
    body = api_as(sponsor).get("/api/v1/notifications/").json()
    assert body["count"] == 3
    assert [r["id"] for r in body["results"]] == [r.pk for r in rows]
    assert body["results"][1]["subject"].startswith("Approval requested")
    assert body["results"][1]["link"] == "/reviews/1/" and body["results"][1]["is_read"] is False
    unread = api_as(sponsor).get("/api/v1/notifications/?unread=true").json()
    assert [r["id"] for r in unread["results"]] == [rows[1].pk, rows[2].pk]
    bad = api_as(sponsor).get("/api/v1/notifications/?unread=maybe")
    assert bad.status_code == 400 and "unread" in bad.json()["fields"]


def test_the_api_marks_read(api_as, sponsor, outsider):
    rows = make(sponsor, 2)
    assert api_as(outsider).post(f"/api/v1/notifications/{rows[0].pk}/read/").status_code == 404
    response = api_as(sponsor).post(f"/api/v1/notifications/{rows[0].pk}/read/")
    assert response.status_code == 200 and response.json()["is_read"] is True
    assert api_as(sponsor).post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert api_as(sponsor).post("/api/v1/notifications/999999/read/").status_code == 404


@pytest.mark.parametrize("size", [3, 40])
def test_the_api_costs_the_same_queries_at_any_size(
    api_as, sponsor, size, django_assert_num_queries
):
    make(sponsor, size)
    client = api_as(sponsor)
    with django_assert_num_queries(2):  # count, page
        assert client.get("/api/v1/notifications/").status_code == 200


def test_the_context_processor_counts_lazily_and_only_for_people_signed_in(
    rf, sponsor, django_assert_num_queries
):
    from django.contrib.auth.models import AnonymousUser

    from notifications.context_processors import unread

    make(sponsor, 2)
    request = rf.get("/")
    request.user = AnonymousUser()
    assert unread(request) == {}
    request.user = sponsor
    with django_assert_num_queries(0):
        context = unread(request)
    with django_assert_num_queries(1):
        assert str(context["notifications_unread"]) == "2"


def test_the_bell_says_99_plus_past_99_and_the_inbox_keeps_the_exact_count(client_as, sponsor):
    make(sponsor, 120)
    html = client_as(sponsor).get(reverse("inbox")).content.decode()
    assert "120 unread" in html
    home = client_as(sponsor).get("/").content.decode()
    assert 'aria-label="Inbox, more than 99 unread"' in home
    assert ">99+</span>" in home
