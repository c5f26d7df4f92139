from __future__ import annotations

import os
from pathlib import Path

from celery import Celery, Task
from celery.beat import PersistentScheduler
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class RequestTask(Task):
    """A task run eagerly (no REDIS_URL: in the request that queues it)
    leaves the request its id: django-guid's handlers clear the id at the
    task's end, which would leave the rest of the request, and the
    X-Request-ID it answers, without one."""

    def apply(self, *args, **kwargs):
        from django_guid import get_guid, set_guid

        request_id = get_guid()
        try:
            return super().apply(*args, **kwargs)
        finally:
            if request_id:
                set_guid(request_id)


app = Celery("stagegate", task_cls=RequestTask)


class HeartbeatScheduler(PersistentScheduler):
    """Beat's scheduler (CELERY_BEAT_SCHEDULER): at every tick, at least
    every ``max_interval`` (300 s), it touches ``<schedule file>.heartbeat``.
    docker-compose.yml's health check asks that the file be recent, so a
    beat that hangs (a broker that never answers its publish) is unhealthy,
    not only one whose process is gone."""

    def tick(self, *args, **kwargs):
        Path(f"{self.schedule_filename}.heartbeat").touch()
        return super().tick(*args, **kwargs)


app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _eager_task_logs_under_the_request_id(task=None, **_) -> None:
    """A task run eagerly logs under the id of the request that runs it, as
    a worker's task does under the id of the request that queued it. (Its
    request carries no message headers: django-guid, whose handler runs
    after this one, would make a new id.)"""
    if task is None or not getattr(task.request, "is_eager", False):
        return
    from django_guid import get_guid
    from django_guid.config import settings as guid_settings

    request_id = get_guid()
    if request_id:
        # Where django-guid reads a task's id: the header it carries it in.
        setattr(task.request, guid_settings.guid_header_name, request_id)


@task_prerun.connect
@task_postrun.connect
def _recycle_connections(task=None, **_) -> None:
    """Before and after each task, what a web request does at its start and
    end: close the database connections that are broken or older than
    DATABASE_CONN_MAX_AGE, keep the others (CELERY_DB_REUSE_MAX stops Celery
    from closing every one). Not for a task run eagerly, inside its
    caller's transaction."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
