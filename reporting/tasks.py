"""Celery tasks of the reporting app: thin wrappers over the services.

``generate_gate_pack`` acknowledges late (a worker lost mid-render gets the
task again) and is idempotent (the claim in ``services.pack_claim``). Retry
countdowns stay far below the Redis visibility timeout (3,600 s), or Redis
would redeliver a task that is only waiting for its retry.

``requeue_stale_packs`` runs every 5 minutes from ``CELERY_BEAT_SCHEDULE`` in
config/settings.py; it is safe if two beats run (the claim makes re-delivery
a no-op). Every worker also asks for it when it starts, once a run left by a
worker it replaces can be told dead (``requeue_after_worker_start``).

``compact_tally`` folds the dashboard tally's changes into one row per key
every ``DASHBOARD_TALLY_COMPACT_SECONDS`` (``services.tally_compact``; safe
if two run at once).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.db import DatabaseError, InterfaceError, OperationalError

from core.storage import is_storage_unavailable
from reporting import services

logger = logging.getLogger(__name__)

MAX_RETRIES = 5
RETRY_BASE_SECONDS = 10
RETRY_MAX_SECONDS = 300  # well below the visibility timeout of 3,600 s

# Errors a later attempt can get past: the database or the storage briefly away.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, DatabaseError, OSError, TimeoutError)


def is_transient(exc: BaseException) -> bool:
    """The database, the disk or the object store briefly away."""
    return isinstance(exc, TRANSIENT_ERRORS) or is_storage_unavailable(exc)


def retry_countdown(retries: int) -> int:
    """10 s, 20 s, 40 s, 80 s, 160 s: exponential, capped at RETRY_MAX_SECONDS."""
    return min(RETRY_BASE_SECONDS * 2**retries, RETRY_MAX_SECONDS)


@shared_task(
    bind=True,
    name="reporting.generate_gate_pack",
    acks_late=True,
    max_retries=MAX_RETRIES,
    ignore_result=True,
)
def generate_gate_pack(self, pack_id: int) -> None:
    try:
        services.pack_generate(pack_id=pack_id)
    except Exception as exc:
        if not is_transient(exc):
            # Anything else is a bug or bad data: record why and stop, instead
            # of leaving the pack running forever.
            logger.exception("pack %s: generation failed", pack_id)
            services.pack_fail(pack_id=pack_id, reason=f"{type(exc).__name__}: {exc}")
            return
        if self.request.retries >= self.max_retries:
            logger.error("pack %s: giving up after %s retries: %s", pack_id, self.max_retries, exc)
            services.pack_fail(
                pack_id=pack_id,
                reason=f"Gave up after {self.max_retries} retries: {type(exc).__name__}: {exc}",
            )
            return
        countdown = retry_countdown(self.request.retries)
        logger.warning("pack %s: transient error (%s); retrying in %s s", pack_id, exc, countdown)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="reporting.requeue_stale_packs", ignore_result=True)
def requeue_stale_packs() -> int:
    return len(services.pack_requeue_stale())


@shared_task(name="reporting.compact_tally", ignore_result=True)
def compact_tally() -> int:
    return services.tally_compact()[1]


@worker_ready.connect
def requeue_after_worker_start(**_: Any) -> None:
    """A worker that starts is often the replacement of one that was killed
    in the middle of a pack (out of memory, a redeploy). That pack stays
    running, and its task unacknowledged in Redis until the visibility
    timeout (an hour); nothing else would generate it before the next
    requeue round. So ask for the requeue as soon as the dead run can be told
    from a live one: ``dead_after()`` (four missed heartbeats) from now.
    Live runs keep beating and are left alone; the claim and the run number
    keep the pack generated once. Never stops the worker from starting."""
    try:
        countdown = services.dead_after().total_seconds() + 1
        requeue_stale_packs.apply_async(countdown=countdown)
    except Exception:
        logger.warning("reporting: could not ask for the requeue at start-up", exc_info=True)
