"""Celery beat entries for the notifications app.

Free of Django imports so config/settings.py can import it. Only one beat may
run, but every task here is idempotent (unique delivery keys, claimed e-mail
rows), so a duplicated beat costs a little work and sends nothing twice.
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab


def beat_schedule(*, sweep_minutes: int = 15, deliver_seconds: int = 60) -> dict[str, Any]:
    return {
        "notifications-sweep": {
            "task": "notifications.sweep",
            "schedule": crontab(minute=f"*/{sweep_minutes}"),
        },
        "notifications-deliver-pending-emails": {
            "task": "notifications.deliver_pending_emails",
            "schedule": float(deliver_seconds),
        },
        # Hourly: each person's digest goes out once a day, at the first run
        # after NOTIFICATIONS_DIGEST_HOUR; later runs retry failed digests.
        "notifications-daily-digests": {
            "task": "notifications.send_daily_digests",
            "schedule": crontab(minute=0),
        },
    }


BEAT_SCHEDULE = beat_schedule()
