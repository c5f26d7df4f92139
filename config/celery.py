from __future__ import annotations

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("stagegate")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
