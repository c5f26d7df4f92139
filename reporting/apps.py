import logging

from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"

    def ready(self) -> None:
        # WeasyPrint logs every parsing and layout step of every page at INFO:
        # noise in a worker's log. Its warnings and errors still come through.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
        # Register the tasks in every process, not only in a worker (where
        # Celery's autodiscovery imports them): services.pack_enqueue looks the
        # generation task up by name.
        from reporting import tasks  # noqa: F401

        # The portfolio's unfiltered counts per stage, from the dashboard tally.
        from reporting.dashboard_counts import tally_stage_counts
        from usecases.selectors import register_whole_portfolio_counter

        register_whole_portfolio_counter(tally_stage_counts)
