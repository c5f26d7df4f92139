"""Every state change of a gate pack: one function per action. And the
dashboard tally's compaction (``tally_compact``).

A pack row is the durable record of a request: it is written (``queued``)
in the requester's transaction and handed to Celery only after commit. If the
broker is down, the row stays queued and ``pack_requeue_stale`` (a periodic
task) hands it over again later; nothing is lost and the request does not
fail for it. (The views count the request against the person's rate first,
in Django's cache: with the cache in that same Redis, its outage is a 503
before any row is written.)

The tasks module wraps these services, so this module does not import it: the
generation task is looked up by name in the Celery app's registry.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy, pgettext
from django_guid import clear_guid, get_guid, set_guid
from kombu.exceptions import KombuError, OperationalError

from core import events
from core.audit import audit_checkpoint, audit_record
from core.errors import PermissionRefused
from core.events import emit_on_commit
from core.web import display_name
from gates.models import GateReview
from readiness.svg import kpi_sparkline_svg
from reporting import pdf, rules
from reporting.models import IN_PROGRESS_STATUSES, GatePack, PackStatus
from reporting.pack_data import pack_data
from reporting.pack_i18n import localised_when
from reporting.selectors import pack_digest, pack_language
from usecases.models import UseCase

logger = logging.getLogger(__name__)

QUEUED_MESSAGE = gettext_lazy("queued; the pack is being generated")
RUNNING_MESSAGE = gettext_lazy("the pack is being generated")
READY_MESSAGE = gettext_lazy("pack #%(id)s is generated and ready to download")
FAILED_MESSAGE = gettext_lazy("pack #%(id)s could not be generated; its status tells why")
BROKER_DOWN_MESSAGE = gettext_lazy("queued; it will be generated when the task queue is back")
CURRENT_MESSAGE = gettext_lazy(
    "pack #%(id)s is current: nothing in the review has changed since it was generated"
)
IN_PROGRESS_MESSAGE = gettext_lazy(
    "pack #%(id)s of the review as it stands is already being generated"
)
# What a new pack's request answers, by the pack's status then (queued otherwise).
STATUS_MESSAGES = {
    PackStatus.RUNNING: RUNNING_MESSAGE,
    PackStatus.READY: READY_MESSAGE,
    PackStatus.FAILED: FAILED_MESSAGE,
}
FAILURE_REASON_MAX = 2000
GENERATE_TASK = "reporting.generate_gate_pack"


def requeue_after() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.REPORTING_REQUEUE_AFTER_MINUTES)


def running_timeout() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.REPORTING_RUNNING_TIMEOUT_MINUTES)


def max_attempts() -> int:
    return int(settings.REPORTING_PACK_MAX_ATTEMPTS)


def heartbeat_every() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.REPORTING_HEARTBEAT_SECONDS)


# A run is dead once this many heartbeats in a row went missing: one late
# heartbeat (a busy database, a long garbage collection) is not a death.
HEARTBEATS_MISSED = 4


def dead_after() -> datetime.timedelta:
    """A running pack whose worker has not said it is alive for this long
    lost its worker (killed, out of memory, its machine gone)."""
    return heartbeat_every() * HEARTBEATS_MISSED


@dataclass
class PackRequest:
    pack: GatePack
    # None until the transaction commits (inside an outer atomic block the
    # hand-over waits for that block); then whether the broker took the task.
    published: bool | None = None
    # False when the request was answered with a pack of the same content
    # (ready, or still being generated) instead of a new one.
    created: bool = True

    @property
    def message(self) -> str:
        if not self.created:
            message = CURRENT_MESSAGE if self.pack.is_ready else IN_PROGRESS_MESSAGE
            return str(message) % {"id": self.pack.pk}
        if self.published is False:
            return str(BROKER_DOWN_MESSAGE)
        # As the pack stands when the answer is written: a worker may have
        # taken it already, and without a broker it was rendered in the request.
        message = STATUS_MESSAGES.get(self.pack.status, QUEUED_MESSAGE)
        return str(message) % {"id": self.pack.pk}


# --- Enqueuing -------------------------------------------------------------------


def pack_enqueue(pack_id: int, request_id: str = "") -> bool:
    """Hand the pack's task to the broker. Never raises: with the broker down
    the pack stays queued and the periodic requeue tries again.

    The task comes from the app's registry (``reporting.tasks`` registers it
    when ``ReportingConfig.ready`` imports it); ``apply_async`` on it still
    runs it in-process when CELERY_TASK_ALWAYS_EAGER is on. It carries
    ``request_id`` (the pack's: the click that asked for it), when given,
    instead of the id of whatever hands it over (the requeue's task)."""
    GatePack.objects.filter(pk=pack_id, status=PackStatus.QUEUED).update(enqueued_at=timezone.now())
    try:
        with _under_request_id(request_id):
            current_app.tasks[GENERATE_TASK].apply_async(args=[pack_id], retry=True)
    except (OperationalError, KombuError, ConnectionError, OSError, TimeoutError) as exc:
        logger.warning("pack %s: could not reach the task queue (%s); left queued", pack_id, exc)
        _unmark_enqueued(pack_id)
        return False
    except Exception:
        # Whatever else the publishing path raises (a redis-py error a kombu
        # version does not wrap), the request must not fail: log and keep it.
        logger.exception("pack %s: publishing the task failed; left queued", pack_id)
        _unmark_enqueued(pack_id)
        return False
    return True


@contextlib.contextmanager
def _under_request_id(request_id: str) -> Iterator[None]:
    """The tasks published meanwhile carry ``request_id``: django-guid puts
    the current id in a task's headers as it is published."""
    if not request_id:
        yield
        return
    previous = get_guid()
    set_guid(request_id)
    try:
        yield
    finally:
        if previous:
            set_guid(previous)
        else:
            clear_guid()


def _unmark_enqueued(pack_id: int) -> None:
    try:
        GatePack.objects.filter(pk=pack_id, status=PackStatus.QUEUED).update(enqueued_at=None)
    except Exception:  # the database may be what failed; the requeue job copes
        logger.exception("pack %s: could not record the failed hand-over", pack_id)


# --- Requesting ------------------------------------------------------------------


def pack_request(*, review: GateReview, by: Any, language: str | None = None) -> PackRequest:
    """Request a gate pack of the review as it stands now, written in
    ``language`` (by default the language active now: the requester's). The
    caller has checked that ``by`` sees the review's use case.

    Nothing is rendered twice for the same content: when the review's pack
    data has the content hash of a pack that is ready or being generated,
    that pack is the answer (``created`` False) and nothing is written. The
    hash is the one the renderer prints (``pdf.content_hash`` of
    ``pack_data.pack_data``), so any change the pack would show (an
    assessment, an artifact, an approval, a condition, the decision, a KPI
    measurement, the review's revision) makes a new pack. Reading it costs
    one review read, 20 queries: for the benchmark's review (40 criteria, 60
    artifacts, 200 audit events) about 1/37 of its render (0.27 s against
    10 s in one run on a loaded machine)."""
    with transaction.atomic():
        # The use case row first, as the gate engine locks: the revision read
        # here cannot move until this transaction ends.
        use_case = UseCase.objects.select_for_update().get(pk=review.use_case_id)
        review = GateReview.objects.select_for_update().get(pk=review.pk)
        review.use_case = use_case
        if not rules.can_request_pack(by, review):
            raise PermissionRefused(rules.REQUEST_REFUSAL)
        # Read under the locks every change of the review and its readiness
        # takes first: two requests for the same content get one pack.
        language = pack_language(language)
        digest = pack_digest(review, language)
        current = (
            GatePack.objects.filter(
                review=review,
                language=language,
                # Not stale either: a pack requested at an earlier revision
                # whose render happened to read this state still reads stale.
                review_revision=review.revision,
                content_hash=digest,
                status__in=[PackStatus.READY, *IN_PROGRESS_STATUSES],
            )
            .select_related("requested_by")
            .order_by("-requested_at", "-id")
            .first()
        )
        if current is not None:
            current.review = review
            return PackRequest(pack=current, created=False)
        # The hash of the data at the request; the renderer records the hash
        # of the data it renders (the same, unless the review moved on).
        pack = GatePack.objects.create(
            review=review,
            review_revision=review.revision,
            requested_by=by,
            content_hash=digest,
            language=language,
            request_id=get_guid() or "",
        )
        pack.review = review
        audit_record(
            actor=by,
            action="pack.requested",
            summary=f"Requested a {review.gate_label} pack",
            use_case=use_case,
            obj=pack,
            payload={
                "review": review.pk,
                "review_revision": review.revision,
                "language": language,
            },
        )
        result = PackRequest(pack=pack)

        def hand_over() -> None:
            # The request is committed: should the database go away before
            # the hand-over's UPDATE, the pack stays queued for the periodic
            # requeue, and the requester is told it waits for the queue.
            result.published = False
            result.published = pack_enqueue(pack.pk, pack.request_id)

        transaction.on_commit(hand_over, robust=True)
    try:
        pack.refresh_from_db()
    except DatabaseError:
        # Committed, and answered as it was written (queued), not as a 503.
        logger.warning("pack %s: requested; its state could not be read back", pack.pk)
    return result


# --- Generating (the task's work) ---------------------------------------------------


def pack_claim(pack_id: int) -> int | None:
    """queued → running, as one conditional UPDATE: of two deliveries of the
    same task (acks_late, redelivery after a lost worker, the requeue job) only
    the first finds the row queued; the others change nothing and stop.

    Returns the run's number (the pack's attempt count after the claim), or
    None when this delivery has nothing to do. Every later write of the run
    names that number: once the requeue job takes a silent run back and
    another claims the pack, the first run can no longer store or release it."""
    now = timezone.now()
    with transaction.atomic():
        claimed = GatePack.objects.filter(pk=pack_id, status=PackStatus.QUEUED).update(
            status=PackStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
        )
        if not claimed:
            return None
        # The UPDATE holds the row until the commit: the count read is ours.
        return GatePack.objects.values_list("attempts", flat=True).get(pk=pack_id)


@contextlib.contextmanager
def pack_heartbeat(*, pack_id: int, run: int) -> Iterator[None]:
    """Mark the run alive every REPORTING_HEARTBEAT_SECONDS while the block
    runs. From a thread of its own, because rendering holds the worker's main
    thread for seconds; on a connection of its own (Django's connections are
    per thread), closed when the block ends. A failed heartbeat is logged and
    tried again at the next beat: only silence for ``dead_after()`` counts."""
    stop = threading.Event()
    interval = heartbeat_every().total_seconds()

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    GatePack.objects.filter(
                        pk=pack_id, status=PackStatus.RUNNING, attempts=run
                    ).update(heartbeat_at=timezone.now())
                except Exception:
                    logger.warning(
                        "pack %s: heartbeat of run %s failed", pack_id, run, exc_info=True
                    )
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"pack-{pack_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        # Bounded: a heartbeat stuck behind a lock must not hold the task; a
        # late one changes nothing once the run is over (it names the run).
        thread.join(timeout=interval)


def pack_render(pack: GatePack) -> tuple[pdf.RenderedPdf, str, str]:
    """Gather the data, render the HTML and the PDF. Returns the PDF, the
    final HTML and the content hash. Raises ``pdf.PackRenderError`` for what
    a retry cannot fix. Everything is read and written in the pack's language."""
    with translation.override(pack.language):
        data = selectors_pack_data(pack.review)
        digest = pdf.content_hash(data)
        try:
            html = pdf.render_pack_html(pack_context(data, digest=digest, pack=pack))
        except (OSError, MemoryError, DatabaseError):
            # The disk, the memory or the database (the context checkpoints
            # the audit chain) briefly away: the task retries, the pack is not
            # failed for good.
            raise
        except Exception as exc:
            raise pdf.PackRenderError(f"{type(exc).__name__}: {exc}") from exc
    try:
        rendered = pdf.html_to_pdf(html)
    except (OSError, MemoryError):
        raise
    except Exception as exc:
        raise pdf.PackRenderError(f"{type(exc).__name__}: {exc}") from exc
    return rendered, html, digest


def selectors_pack_data(review: GateReview) -> dict[str, Any]:
    return pack_data(review)


def pack_context(data: dict[str, Any], *, digest: str, pack: GatePack) -> dict[str, Any]:
    """The template context: the hashed data plus what is not part of the
    content (the generation time, the charts drawn from the KPI points)."""
    charts = [
        kpi_sparkline_svg(
            [(datetime.date.fromisoformat(d), float(v)) for d, v in kpi["points"]],
            float(kpi["target_value"]),
        )
        for kpi in data["readiness"]["kpis"]
    ]
    kpis = [
        {**kpi, "chart": chart}
        for kpi, chart in zip(data["readiness"]["kpis"], charts, strict=True)
    ]
    recertification = data.get("recertification")
    return {
        **data,
        "kpis": kpis,
        # How the pack names the review: "Gate 3" or "Recertification".
        "gate_label": recertification["gate_label"]
        if recertification
        else gettext("Gate %(number)s") % {"number": data["review"]["gate_number"]},
        "content_hash": digest,
        "pack_id": pack.pk,
        # The running header and the page numbers of pack.css.
        "running_title": gettext("Recertification pack · for the recertification meeting")
        if recertification
        else gettext("Gate pack · for the gate meeting"),
        "page_word": gettext("Page"),
        "page_of": pgettext("page 2 of 11", "of"),
        "generated_at": localised_when(
            timezone.localtime(timezone.now()).strftime("%d %b %Y %H:%M %Z")
        ),
        "requested_by": display_name(pack.requested_by),
        # Not part of the content hash: the chain grows while the review does
        # not. Written outside the database too (log, checkpoint file).
        "audit_head": audit_checkpoint(reason=f"gate pack #{pack.pk}"),
    }


def pack_generate(*, pack_id: int) -> GatePack | None:
    """Claim, render, store and mark the pack ready. Returns None when another
    delivery has the pack (already running, ready or failed): idempotent.

    Transient errors (database, storage) propagate after the pack is released
    back to queued, so the task can retry; a render that cannot succeed marks
    the pack failed with the reason."""
    run = pack_claim(pack_id)
    if run is None:
        logger.info("pack %s: not queued any more; this delivery does nothing", pack_id)
        return None
    pack = GatePack.objects.select_related("review", "requested_by").get(pk=pack_id)
    with pack_heartbeat(pack_id=pack_id, run=run):
        try:
            rendered, _html, digest = pack_render(pack)
            return pack_store(pack=pack, rendered=rendered, digest=digest, run=run)
        except pdf.PackRenderError as exc:
            pack_fail(pack_id=pack_id, reason=f"The pack could not be rendered: {exc}", run=run)
            return None
        except Exception:
            # The database or the storage away while rendering or storing:
            # back to queued, for the task's retry to claim.
            pack_release(pack_id=pack_id, run=run)
            raise


def pack_store(
    *, pack: GatePack, rendered: pdf.RenderedPdf, digest: str, run: int
) -> GatePack | None:
    """running → ready, for the run that claimed the pack (``run``) only."""
    storage_file = GatePack._meta.get_field("file")
    name = storage_file.generate_filename(pack, "pack.pdf")
    stored_name = storage_file.storage.save(name, ContentFile(rendered.content))
    try:
        with transaction.atomic():
            pack = GatePack.objects.select_for_update().select_related("review").get(pk=pack.pk)
            if pack.status != PackStatus.RUNNING or pack.attempts != run:
                # Released, failed or claimed by a later run meanwhile (the
                # requeue job judged this run dead): keep the record as it is
                # and drop our file, so the pack is generated once.
                storage_file.storage.delete(stored_name)
                return None
            now = timezone.now()
            pack.status = PackStatus.READY
            pack.file.name = stored_name
            pack.size = len(rendered.content)
            pack.sha256 = rendered.sha256
            pack.content_hash = digest
            pack.page_count = rendered.page_count
            pack.generated_at = now
            pack.failure_reason = ""
            pack.save(
                update_fields=[
                    "status",
                    "file",
                    "size",
                    "sha256",
                    "content_hash",
                    "page_count",
                    "generated_at",
                    "failure_reason",
                ]
            )
            audit_record(
                actor=None,
                action="pack.ready",
                summary=f"{pack.review.gate_label} pack #{pack.pk} generated "
                f"({rendered.page_count} pages)",
                use_case=UseCase(pk=pack.review.use_case_id),
                obj=pack,
                payload={
                    "review": pack.review_id,
                    "review_revision": pack.review_revision,
                    "sha256": rendered.sha256,
                    "content_hash": digest,
                    "page_count": rendered.page_count,
                },
            )
            emit_on_commit(events.PACK_READY, pack_id=pack.pk, requested_by_id=pack.requested_by_id)
    except Exception:
        storage_file.storage.delete(stored_name)
        raise
    return pack


def pack_release(*, pack_id: int, run: int) -> None:
    """running → queued, for a retry after a transient error of run ``run``."""
    GatePack.objects.filter(pk=pack_id, status=PackStatus.RUNNING, attempts=run).update(
        status=PackStatus.QUEUED, enqueued_at=timezone.now()
    )


@transaction.atomic
def pack_fail(*, pack_id: int, reason: str, run: int | None = None) -> GatePack | None:
    """Mark the pack failed with the reason, from queued or running; with
    ``run``, only while that run still has it."""
    packs = GatePack.objects.filter(pk=pack_id)
    if run is None:
        packs = packs.filter(status__in=[PackStatus.QUEUED, PackStatus.RUNNING])
    else:
        packs = packs.filter(status=PackStatus.RUNNING, attempts=run)
    pack = packs.select_for_update().select_related("review").first()
    if pack is None:
        return None
    reason = (reason or "Unknown error.")[:FAILURE_REASON_MAX]
    pack.status = PackStatus.FAILED
    pack.failure_reason = reason
    pack.save(update_fields=["status", "failure_reason"])
    audit_record(
        actor=None,
        action="pack.failed",
        summary=f"{pack.review.gate_label} pack #{pack.pk} failed: {reason}",
        use_case=UseCase(pk=pack.review.use_case_id),
        obj=pack,
        payload={"review": pack.review_id, "reason": reason},
    )
    emit_on_commit(
        events.PACK_FAILED, pack_id=pack.pk, requested_by_id=pack.requested_by_id, reason=reason
    )
    return pack


# --- The periodic requeue ------------------------------------------------------------


def _dead_run(now: datetime.datetime) -> Q:
    """A run whose worker went silent for ``dead_after()`` (its heartbeat, or
    its start when it never beat), or one still going after
    REPORTING_RUNNING_TIMEOUT_MINUTES (a render that hangs)."""
    silent = now - dead_after()
    return (
        Q(heartbeat_at__lt=silent)
        | Q(heartbeat_at__isnull=True, started_at__lt=silent)
        | Q(started_at__lt=now - running_timeout())
    )


def pack_requeue_stale(*, now: datetime.datetime | None = None) -> list[int]:
    """Take back the runs that lost their worker (``_dead_run``) and hand
    them over at once; hand over again the packs that never reached a
    worker: queued for longer than REPORTING_REQUEUE_AFTER_MINUTES since
    their last hand-over (or their request, when no hand-over succeeded). A
    pack past its attempts is marked failed instead (a pack that kills its
    worker every time stops after REPORTING_PACK_MAX_ATTEMPTS runs).

    Safe to run twice at once (two beats by mistake): a pack handed over twice
    is claimed once and the other delivery does nothing; a run taken back can
    no longer store the pack (the run number), so it is generated once."""
    now = now or timezone.now()
    dead = _dead_run(now)
    released: list[int] = []
    runs = GatePack.objects.filter(dead, status=PackStatus.RUNNING).values_list("pk", "attempts")
    for pack_id, run in list(runs):
        # Conditional on the same run still being silent: a heartbeat that
        # landed since the read keeps it.
        if GatePack.objects.filter(
            dead, pk=pack_id, status=PackStatus.RUNNING, attempts=run
        ).update(status=PackStatus.QUEUED, enqueued_at=None):
            logger.warning("pack %s: run %s lost its worker; queued again", pack_id, run)
            released.append(pack_id)
    cutoff = now - requeue_after()
    stale = GatePack.objects.filter(status=PackStatus.QUEUED).filter(
        Q(pk__in=released)
        | Q(enqueued_at__lt=cutoff)
        | Q(enqueued_at__isnull=True, requested_at__lt=cutoff)
    )
    requeued = []
    handed_over = stale.order_by("requested_at").values_list("pk", "attempts", "request_id")
    for pack_id, attempts, request_id in list(handed_over):
        if attempts >= max_attempts():
            pack_fail(
                pack_id=pack_id,
                reason=f"Gave up after {attempts} attempts: the pack never finished generating.",
            )
            continue
        if pack_enqueue(pack_id, request_id):
            requeued.append(pack_id)
    return requeued


# --- The dashboard's tally ----------------------------------------------------------

TALLY_KEY = "kind, stage, status, risk_tier, regulation, to_stage, decision, recertification, day"


def tally_compact() -> tuple[int, int]:
    """Fold the tally's changes into one row per key, dropping keys that sum
    to nothing; returns (rows before, rows after). One statement: the rows it
    deletes are those it sums, so a change committed meanwhile stays as it
    is, and two runs at once sum each row once. Counts are unchanged, so
    nothing is audited. PostgreSQL only; elsewhere there is no tally."""
    if connection.vendor != "postgresql":
        return 0, 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH folded AS (
                DELETE FROM reporting_portfoliotally RETURNING {TALLY_KEY}, n
            ), kept AS (
                INSERT INTO reporting_portfoliotally ({TALLY_KEY}, n)
                SELECT {TALLY_KEY}, sum(n) FROM folded
                 GROUP BY {TALLY_KEY} HAVING sum(n) <> 0
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM folded), (SELECT count(*) FROM kept)
            """
        )
        before, after = cursor.fetchone()
    logger.info("dashboard tally: %s rows folded into %s", before, after)
    return before, after
