"""Prometheus metrics at ``/metrics``.

``monitoring.middleware`` counts the requests, their durations and their
CPU per route. This module adds what an operator of StageGate watches, read
from the database and Redis at each scrape, so every web process reports the
same figures whichever process did the work:

- ``stagegate_celery_queue_length``: tasks waiting in the broker's queue;
- ``stagegate_outbox_pending``: domain events not yet delivered to listeners;
- ``stagegate_notification_email_backlog{status}``: e-mails waiting to be sent
  (pending, in a digest, being sent) and those that failed;
- ``stagegate_notification_email_paused``: 1 while e-mail is paused
  (``notifications.services.emails_pause``), else 0;
- ``stagegate_packs{status}``: gate packs by status;
- ``stagegate_pack_wait_seconds`` and ``stagegate_pack_render_seconds``:
  summaries (count, sum, median and 95th percentile) of the packs finished in
  the last ``METRICS_PACK_WINDOW_MINUTES``: from request to ready, and from a
  worker starting it to ready.

With several gunicorn workers, set ``PROMETHEUS_MULTIPROC_DIR`` (an empty
directory) so the request metrics add up across them.
"""

from __future__ import annotations

import datetime
import hmac
import logging
import os
from collections.abc import Iterator
from typing import Any

import prometheus_client
import redis
from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

from core.api_errors import cause_of, outage_of
from core.models import OutboxEvent
from notifications.models import EmailStatus, Notification
from notifications.selectors import emails_paused
from reporting.models import GatePack, PackStatus

logger = logging.getLogger(__name__)

EMAIL_BACKLOG_STATUSES = (
    EmailStatus.PENDING,
    EmailStatus.DIGEST,
    EmailStatus.SENDING,
    EmailStatus.FAILED,
)
CELERY_QUEUE = "celery"


def _percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of sorted ``values``, interpolated linearly
    (PostgreSQL's percentile_cont)."""
    if not values:
        return float("nan")
    position = (len(values) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def _summary(name: str, documentation: str, seconds: list[float]) -> SummaryMetricFamily:
    """A summary of ``seconds``: count, sum, median and 95th percentile
    (NaN quantiles when there is none, as Prometheus' own summaries)."""
    seconds.sort()
    family = SummaryMetricFamily(
        name, documentation, count_value=len(seconds), sum_value=sum(seconds)
    )
    for fraction in (0.5, 0.95):
        family.add_sample(name, {"quantile": str(fraction)}, _percentile(seconds, fraction))
    return family


class StageGateCollector(Collector):
    """The figures above, collected at each scrape."""

    def describe(self) -> list[Metric]:
        # Without it, registering would collect once, reading the database
        # while the apps load.
        return []

    def collect(self) -> Iterator[Metric]:
        # Once a service has not answered, the scrape asks it nothing more: a
        # database that takes the connection and never answers costs one
        # connect timeout, not one per figure, and the scrape answers within
        # Prometheus' scrape_timeout (deploy/prometheus/prometheus.yml), so
        # that StageGateDatabaseUnreadable, not StageGateDown, says it.
        silent: set[str] = set()
        for gather, service in (
            (self._queue, "redis"),
            (self._outbox, "database"),
            (self._emails, "database"),
            (self._packs, "database"),
        ):
            if service in silent:
                continue
            try:
                yield from gather()
            except Exception as error:  # noqa: BLE001 - a scrape reports what it can
                # A service that does not answer is an outage, said in one
                # line at each scrape (the alert is StageGateDatabaseUnreadable,
                # deploy/prometheus); anything else is a bug, with its traceback.
                outage = outage_of(error)
                if outage is not None:
                    silent.add(service)
                    logger.warning(
                        "metrics: %s could not be read: %s unavailable: %s",
                        gather.__name__,
                        outage.name,
                        cause_of(error),
                    )
                else:
                    logger.warning("metrics: %s could not be read", gather.__name__, exc_info=True)

    def _queue(self) -> Iterator[Metric]:
        if not settings.REDIS_URL:
            return
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        try:
            length = client.llen(CELERY_QUEUE)
        finally:
            client.close()
        family = GaugeMetricFamily(
            "stagegate_celery_queue_length", "Tasks waiting in the broker queue", labels=["queue"]
        )
        family.add_metric([CELERY_QUEUE], length)
        yield family

    def _outbox(self) -> Iterator[Metric]:
        pending = OutboxEvent.objects.filter(delivered_at__isnull=True).count()
        yield GaugeMetricFamily(
            "stagegate_outbox_pending", "Domain events not yet delivered", value=pending
        )

    def _emails(self) -> Iterator[Metric]:
        counts = dict(
            Notification.objects.filter(email_status__in=EMAIL_BACKLOG_STATUSES)
            .order_by()
            .values_list("email_status")
            .annotate(n=Count("pk"))
        )
        family = GaugeMetricFamily(
            "stagegate_notification_email_backlog",
            "Notification e-mails waiting to be sent, and those that failed",
            labels=["status"],
        )
        for status in EMAIL_BACKLOG_STATUSES:
            family.add_metric([status], counts.get(status, 0))
        yield family
        yield GaugeMetricFamily(
            "stagegate_notification_email_paused",
            "1 while e-mail is paused for every account (a demo seed playing its history)",
            value=1 if emails_paused() else 0,
        )

    def _packs(self) -> Iterator[Metric]:
        counts = dict(GatePack.objects.order_by().values_list("status").annotate(n=Count("pk")))
        family = GaugeMetricFamily("stagegate_packs", "Gate packs by status", labels=["status"])
        for status in PackStatus.values:
            family.add_metric([status], counts.get(status, 0))
        yield family
        since = timezone.now() - datetime.timedelta(minutes=settings.METRICS_PACK_WINDOW_MINUTES)
        rows = list(
            GatePack.objects.filter(status=PackStatus.READY, generated_at__gte=since)
            .annotate(
                wait=ExpressionWrapper(F("generated_at") - F("requested_at"), DurationField()),
                render=ExpressionWrapper(F("generated_at") - F("started_at"), DurationField()),
            )
            .values_list("wait", "render")
        )
        yield _summary(
            "stagegate_pack_wait_seconds",
            "Seconds from a pack's request to its PDF, over the recent window",
            [wait.total_seconds() for wait, _ in rows if wait is not None],
        )
        yield _summary(
            "stagegate_pack_render_seconds",
            "Seconds a worker took to render a pack, over the recent window",
            [render.total_seconds() for _, render in rows if render is not None],
        )


_collector = StageGateCollector()
_registered = False


def register() -> None:
    """Add the collector to the default registry, once per process."""
    global _registered
    if not _registered:
        prometheus_client.REGISTRY.register(_collector)
        _registered = True


# Headers a proxy adds to what it passes on: a request bearing one came
# from wherever the proxy's client is, whatever address it arrives from.
PROXY_HEADERS = (
    "Forwarded",
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "X-Forwarded-Host",
    "X-Real-IP",
)


def _allowed(request: HttpRequest) -> bool:
    """With ``METRICS_TOKEN``: the token. Without: a scraper on this machine
    itself, asking directly: from loopback, and not through a proxy on this
    machine (behind which every client's request arrives from loopback)."""
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    if any(header in request.headers for header in PROXY_HEADERS):
        return False
    return request.META.get("REMOTE_ADDR") in {"127.0.0.1", "::1"}


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The metrics in Prometheus' text format: with ``METRICS_TOKEN`` set, to a
    scraper sending it as a bearer token; without, to loopback only, and not
    through a proxy (``_allowed``)."""
    if not _allowed(request):
        return HttpResponse(
            "Metrics need the bearer token set in METRICS_TOKEN.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry: Any = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_collector)
    else:
        registry = prometheus_client.REGISTRY
    return HttpResponse(
        prometheus_client.generate_latest(registry),
        content_type=prometheus_client.CONTENT_TYPE_LATEST,
    )
