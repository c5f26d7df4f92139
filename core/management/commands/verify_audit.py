from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the audit trail; exit non-zero at the first broken event."

    def handle(self, *args, **options) -> None:
        checked, broken = audit_verify()
        if broken is not None:
            raise CommandError(
                f"Audit trail broken at event #{broken.seq} (id {broken.event_id}): "
                f"{broken.reason}. {checked} events before it verified."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {checked} events verified."))
