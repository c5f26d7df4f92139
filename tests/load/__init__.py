"""The load test (``make loadtest``): ``run.py`` runs it, ``locustfile.py``
holds its personas; ``settings.py`` and ``urls.py`` give its server the
ceiling's trivial view, ``base.py`` builds the data set each run starts from."""

# The trivial view's path, on the load test's server only (tests/load/urls.py).
CEILING_PATH = "/load/plain"
