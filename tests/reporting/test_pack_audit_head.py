"""Every gate pack prints the audit chain's head as it stood when the pack was
made, and writes that head outside the database."""

from __future__ import annotations

from core.audit import audit_head, read_checkpoints
from reporting import pdf, services
from reporting.models import GatePack
from reporting.pack_data import pack_data


def test_the_pack_prints_the_chain_head_and_checkpoints_it(
    decided_review, lead, audit_checkpoint_file
):
    pack = GatePack.objects.create(
        review=decided_review, review_revision=decided_review.revision, requested_by=lead
    )
    data = pack_data(decided_review)
    head = audit_head()

    html = pdf.render_pack_html(
        services.pack_context(data, digest=pdf.content_hash(data), pack=pack)
    )

    assert (
        f'Audit chain head when this pack was made: <span class="mono">{head.head}</span>' in html
    )
    written = read_checkpoints(audit_checkpoint_file)[-1]
    assert (written.head, written.reason) == (head.head, f"gate pack #{pack.pk}")
    # Not part of the content hash: the same review state hashes the same.
    assert "audit_head" not in data
