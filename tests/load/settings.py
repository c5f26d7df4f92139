"""The load test's settings: the application's own (``config.settings``),
with a URL configuration that adds the trivial view the ceiling measures
(``tests/load/urls.py``). The load test's server, its Celery workers and
the building of its data set run with ``DJANGO_SETTINGS_MODULE`` naming
this module; nothing else does."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.load.urls"
