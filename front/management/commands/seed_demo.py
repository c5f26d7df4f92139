"""A realistic demo portfolio, built through the same services people use.

Every stage a demo use case reached, it reached through recorded gate
reviews: artifacts uploaded, criteria assessed, approvals and a decision by
the named people. Running the command twice changes nothing.
"""

from __future__ import annotations

import datetime
from typing import Any

import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import events
from core.locks import advisory_session_lock
from core.management.base import OperatorCommand
from front.demo.history import CaseHistory, Step
from front.demo.portfolio import (
    ACCOUNTS,
    BUSINESS_UNIT_MEMBERS,
    BUSINESS_UNITS,
    CASES,
    CUSTOM_FIELDS,
    DEMO_PASSWORD,
)
from gates import services as gate_services
from notifications import services as notification_services
from usecases import services as usecase_services
from usecases.models import BusinessUnit, CustomField, UseCase

User = get_user_model()

# How long the seed waits for a worker delivering the history's events.
HISTORY_DELIVERY_SECONDS = 120


# One seed at a time (a PostgreSQL advisory lock key of its own, bigint): two
# at once would play the history twice, and one would put e-mail back while
# the other plays. Held by the database session, so a seed killed part-way
# lets the next one run (and put back the e-mail it paused).
SEED_LOCK_KEY = 0x5347_0002_0000_0000


class Command(OperatorCommand):
    help = "Create the demo accounts and a realistic demo portfolio (idempotent)."

    def handle(self, *args, **options) -> None:
        with advisory_session_lock(SEED_LOCK_KEY) as alone:
            if not alone:
                self.stderr.write("Another seed_demo is running; this one does nothing.")
                return
            self._seed()

    def _seed(self) -> None:
        users = self._accounts()
        # A seed killed while it played the history left e-mail paused.
        resumed = notification_services.emails_resume(by=users["admin"])
        if resumed is not None:
            self.stderr.write(
                f"The last seed stopped part-way: e-mail is back on for {resumed} accounts. "
                "Its demo portfolio is incomplete; seed an empty database for a whole one."
            )
        # Any of it, whole or from a seed stopped part-way: a second history
        # would collide with the first.
        demo_units = Q()
        for name, code, _ in BUSINESS_UNITS:
            demo_units |= Q(name=name, code=code)
        if (
            UseCase.objects.filter(title__in=[case.title for case in CASES]).exists()
            or BusinessUnit.objects.filter(demo_units).exists()
        ):
            self.stdout.write("Demo portfolio already present; nothing to do.")
        else:
            before = notification_services.notifications_last_id()
            units = self._business_units(users)
            self._history(users, units)
            # Everyone the history notified starts with what waits on them
            # now, not a year of past notifications.
            notification_services.notifications_mark_read_since(after_id=before)
            self.stdout.write(
                self.style.SUCCESS(f"Created {len(CASES)} demo use cases in {len(units)} units.")
            )
        self.stdout.write(
            "Demo accounts (password “demo”, for the demo only): "
            + ", ".join(username for username, *_ in ACCOUNTS[:8])
        )

    def _history(self, users: dict[str, Any], units: dict[str, BusinessUnit]) -> None:
        """A year of gate reviews, with e-mail paused: its notifications
        reach the inboxes, not some 600 e-mails about the past (on the
        console of `make run`, or through a deployment's mail server to the
        demo's addresses and to anyone the rules notify)."""
        admin = users["admin"]
        steps: list[Step] = []
        for case in CASES:
            steps.extend(CaseHistory(case, users, units).steps())
        notification_services.emails_pause(
            by=admin, reason="E-mail paused while the demo's history is seeded."
        )
        try:
            # The administrator defined the custom fields before the first
            # use case was proposed.
            first = min(step.when for step in steps)
            with time_machine.travel(first - datetime.timedelta(days=1), tick=False):
                self._custom_fields(admin)
            self._play(steps, users)
        finally:
            # The history's events reach the inboxes here rather than in a
            # worker later, and while e-mail is paused: with a worker
            # (REDIS_URL), those it is delivering are waited for.
            if not events.outbox_drain(timeout=HISTORY_DELIVERY_SECONDS):
                self.stderr.write(
                    f"Some events were still being delivered after {HISTORY_DELIVERY_SECONDS} s: "
                    "their notifications may be e-mailed."
                )
            notification_services.emails_resume(by=admin)
        if failed := events.outbox_failed():
            self.stderr.write(
                f"{failed} events wait for a retry after a listener failed on them (the outbox "
                "rows' last_error says why): their notifications are e-mailed when it delivers "
                "them."
            )

    def _play(self, steps: list[Step], users: dict[str, Any]) -> None:
        # Every action runs at its moment in the portfolio's history, all use
        # cases interleaved, so the audit trail reads in time order.
        for step in sorted(steps):
            with time_machine.travel(step.when, tick=False), transaction.atomic():
                step.run()
        # Carl is travelling this week: Bea decides in his seats.
        today = timezone.localdate()
        gate_services.delegation_create(
            by=users["cio"],
            delegate=users["buhead"],
            starts_on=today,
            ends_on=today + datetime.timedelta(days=7),
            reason="Travelling to the regional offices this week.",
        )

    def _accounts(self) -> dict[str, Any]:
        users: dict[str, Any] = {}
        for username, first, last, roles, staff in ACCOUNTS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                    "is_staff": staff,
                    "is_superuser": staff,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                for role in roles:
                    user.groups.add(Group.objects.get(name=role))
            users[username] = user
        return users

    def _custom_fields(self, admin: Any) -> None:
        for key, label, help_text, kind, choices, required_from in CUSTOM_FIELDS:
            if not CustomField.objects.filter(key=key).exists():
                usecase_services.custom_field_create(
                    by=admin,
                    field=CustomField(
                        key=key,
                        label=label,
                        help_text=help_text,
                        kind=kind,
                        choices=choices,
                        required_from_stage=required_from,
                        order=CustomField.objects.count(),
                    ),
                )

    def _business_units(self, users: dict[str, Any]) -> dict[str, BusinessUnit]:
        units = {}
        for name, code, head in BUSINESS_UNITS:
            unit, _ = BusinessUnit.objects.get_or_create(
                code=code, defaults={"name": name, "head": users[head]}
            )
            units[code] = unit
        admin = users["admin"]
        for code, username in BUSINESS_UNIT_MEMBERS:
            usecase_services.business_unit_member_add(
                by=admin, business_unit=units[code], user=users[username]
            )
        return units
