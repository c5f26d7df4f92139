# syntax=docker/dockerfile:1
# The web, worker and beat image. Build: docker compose build

# psycopg2 compiles against libpq: build every wheel here, install them below.
FROM python:3.13-slim AS wheels
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential libpq-dev \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock /tmp/requirements.lock
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r /tmp/requirements.lock

# The translation catalogues compiled with GNU gettext's msgfmt (what
# compilemessages runs); only the .mo files go on.
FROM python:3.13-slim AS messages
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
COPY . /src
WORKDIR /src
RUN mkdir /mo \
    && find . -path ./.venv -prune -o -path '*/LC_MESSAGES/django.po' -print \
        | while read -r po; do msgfmt --check-format -o "${po%.po}.mo" "$po"; done \
    && find . -path ./.venv -prune -o -name '*.mo' -print | tar -cf - -T - | tar -xf - -C /mo

FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/app/var \
    MEDIA_ROOT=/data/media

# WeasyPrint needs Pango and a font (no font is ever fetched at run time);
# psycopg2 needs libpq.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core libpq5 \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.lock /tmp/requirements.lock
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels -r /tmp/requirements.lock

# /data/audit and /data/beat (beat's schedule) are created here, owned by the
# application's user, so that a named volume mounted on one
# (docker-compose.yml) starts out writable by it.
RUN useradd --create-home --uid 1000 stagegate \
    && mkdir -p /app/var /data/media /data/audit /data/beat \
    && chown -R stagegate:stagegate /app /data
WORKDIR /app
COPY --chown=stagegate:stagegate . .
COPY --from=messages --chown=stagegate:stagegate /mo/ ./
USER stagegate

# Collected at build time so every container (the worker renders PDF packs
# with the same static files) has them. With DEBUG off the settings require
# both keys; these are for this step only and sign nothing.
RUN DEBUG=0 SECRET_KEY=collectstatic-only AUDIT_KEY=collectstatic-only \
    python manage.py collectstatic --noinput -v 0

VOLUME ["/data/media", "/data/audit"]
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
