from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from core.audit import Checkpoint, audit_verify, check_against, read_checkpoints
from core.management.base import OperatorCommand


class Command(OperatorCommand):
    help = (
        "Verify the audit trail: its keyed hash chain, then the checkpoints of its head kept "
        "outside the database (the checkpoint file, and any --head SEQ:HASH printed in a gate "
        "pack). Exits non-zero at the first broken event, a cut tail or a rewritten chain."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--head",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="A chain head taken from a gate pack; may be given more than once.",
        )
        parser.add_argument(
            "--checkpoints",
            type=Path,
            default=None,
            help="The checkpoint file (default: AUDIT_CHECKPOINT_FILE, "
            f"{settings.AUDIT_CHECKPOINT_FILE}).",
        )

    def handle(self, *args, **options) -> None:
        try:
            heads = [Checkpoint.parse(head) for head in options["head"]]
        except ValueError as error:
            raise CommandError(f"--head: {error}") from None
        checked, broken = audit_verify()
        if broken is not None:
            raise CommandError(
                f"Audit trail broken at event #{broken.seq} (id {broken.event_id}): "
                f"{broken.reason}. {checked} events before it verified."
            )
        checkpoints = read_checkpoints(options["checkpoints"])
        problems = check_against(heads + checkpoints)
        if problems:
            raise CommandError(
                "Audit trail contradicts its checkpoints:\n- " + "\n- ".join(problems)
            )
        anchored = len(heads) + len(checkpoints)
        message = f"Audit trail intact: {checked} events verified"
        if anchored:
            message += f", {anchored} checkpoint{'s' if anchored != 1 else ''} matched"
        self.stdout.write(self.style.SUCCESS(message + "."))
