"""Custom fields in the portfolio export (one column per active field, written
by ``format_value``, in a fixed number of queries) and in the gate pack."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reporting import services
from reporting.models import GatePack, PackStatus
from tests.factories import UseCaseFactory
from tests.reporting.helpers import pdf_text, squash
from tests.usecases.custom_field_helpers import administrator, define, define_the_usual
from usecases.services import custom_field_deactivate, usecase_update

pytestmark = pytest.mark.django_db

EXPORT = "/dashboard/portfolio.csv"


def _rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_export_has_a_column_per_active_field(client_as, executive, use_case, sponsor):
    fields = define_the_usual()
    custom_field_deactivate(by=administrator(), field=fields["go_live"])
    sponsor.first_name, sponsor.last_name = "Sam", "Sponsor"
    sponsor.save()
    usecase_update(
        use_case=use_case,
        by=sponsor,
        custom_values={
            "data_owner": sponsor.pk,
            "cost_centre": "=CC-204",
            "budget": 12.5,
            "channels": ["Web", "Branch"],
        },
    )

    header, row = _rows(client_as(executive).get(EXPORT))

    assert header[-5:] == [
        "cf_data_owner",
        "cf_cost_centre",
        "cf_budget",
        "cf_region",
        "cf_channels",
    ]
    values = dict(zip(header, row, strict=True))
    assert values["cf_data_owner"] == f"Sam Sponsor ({sponsor.username})"
    # A text that reads as a formula is defused like every other cell.
    assert values["cf_cost_centre"] == "'=CC-204"
    assert values["cf_budget"] == "12.5"
    assert values["cf_region"] == ""
    assert values["cf_channels"] == "Web; Branch"


def test_the_export_reads_in_a_fixed_number_of_queries(
    client_as, executive, business_unit, lead, django_assert_max_num_queries
):
    define_the_usual()
    client = client_as(executive)

    def grow(count):
        for _ in range(count):
            use_case = UseCaseFactory(business_unit=business_unit)
            usecase_update(
                use_case=use_case,
                by=lead,
                custom_values={"data_owner": lead.pk, "region": "US East"},
            )

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            rows = _rows(client.get(EXPORT))
        assert all(row[-2] in ("US East", "cf_region") for row in rows)
        return len(context.captured_queries)

    grow(3)
    small = count()
    grow(15)
    assert count() == small


def test_the_pack_shows_the_fields_in_the_use_case_section(
    decided_review, lead, sponsor, django_capture_on_commit_callbacks
):
    define("cost_centre", "Cost centre", "text")
    define("region", "Deployment region", "choice", choices=["EU (Dublin)", "US East"])
    use_case = decided_review.use_case
    usecase_update(
        use_case=use_case,
        by=lead,
        custom_values={"cost_centre": "CC-CLAIMS-204", "region": "EU (Dublin)"},
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = services.pack_request(review=decided_review, by=lead)

    pack = GatePack.objects.get(pk=result.pack.pk)
    assert pack.status == PackStatus.READY, pack.failure_reason
    text = squash(pdf_text(pack.file.read()))
    # The summary's headings are set in capitals.
    assert "COST CENTRE CC-CLAIMS-204" in text.upper()
    assert "DEPLOYMENT REGION EU (DUBLIN)" in text.upper()
