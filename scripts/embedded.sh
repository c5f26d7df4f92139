#!/usr/bin/env bash
# The embedded default, what `make run` serves: DEBUG off, plain http on
# loopback, e-mail to the console, Celery tasks in the web process, and the
# SQLite database, media, collected static files and keys in $VAR_DIR (var/).
#
#   scripts/embedded.sh run [HOST:PORT]   collect static files, migrate, seed the
#                                         demo portfolio, then serve with gunicorn
#                                         (default 127.0.0.1:8000)
#   scripts/embedded.sh manage ARGS...    manage.py with the same settings, e.g.
#                                         scripts/embedded.sh manage verify_audit
#
# SECRET_KEY and AUDIT_KEY are generated on first use into $VAR_DIR/secret-key
# and $VAR_DIR/audit-key (mode 600) and read from there afterwards, so
# sessions and the audit chain stay valid from one run to the next. Keep
# audit-key with the database: without it the chain cannot be verified.
#
# A database written before these keys existed (by `manage.py` with DEBUG on)
# has its audit events keyed with the development key of config/settings.py.
# When audit-key is generated next to such a db.sqlite3, that development key
# goes into $VAR_DIR/audit-previous-keys, passed as AUDIT_PREVIOUS_KEYS: the
# old events still verify, and new ones are keyed with the new key (a key
# rotation, README "The audit trail").
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=$ROOT/.venv/bin/python
VAR_DIR=${VAR_DIR:-$ROOT/var}
mkdir -p "$VAR_DIR"
VAR_DIR=$(cd "$VAR_DIR" && pwd)
cd "$ROOT"
# The same string as the DEBUG fallback for AUDIT_KEY in config/settings.py.
DEVELOPMENT_AUDIT_KEY=insecure-development-audit-key-only-for-the-embedded-default

say() { echo "embedded: $*" >&2; }

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# write_private FILE TEXT: FILE holds TEXT, readable by its owner only.
write_private() {
    (umask 077 && printf '%s\n' "$2" >"$1.tmp")
    mv "$1.tmp" "$1"
}

new_secret() { "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))'; }

embedded_environment() {
    if [ ! -s "$VAR_DIR/secret-key" ]; then
        say "generating $VAR_DIR/secret-key"
        write_private "$VAR_DIR/secret-key" "$(new_secret)"
    fi
    if [ ! -s "$VAR_DIR/audit-key" ]; then
        if [ -e "$VAR_DIR/db.sqlite3" ] && [ ! -e "$VAR_DIR/audit-previous-keys" ]; then
            say "keeping the development audit key in $VAR_DIR/audit-previous-keys:" \
                "the audit events already in db.sqlite3 were keyed with it"
            write_private "$VAR_DIR/audit-previous-keys" "$DEVELOPMENT_AUDIT_KEY"
        fi
        say "generating $VAR_DIR/audit-key"
        write_private "$VAR_DIR/audit-key" "$(new_secret)"
    fi
    chmod 600 "$VAR_DIR/secret-key" "$VAR_DIR/audit-key"

    local previous=""
    if [ -s "$VAR_DIR/audit-previous-keys" ]; then
        previous=$(paste -sd, "$VAR_DIR/audit-previous-keys")
    fi
    # Everything lives in $VAR_DIR: no outside database, broker, object store
    # or mail server.
    unset DATABASE_URL REDIS_URL CACHE_IN_REDIS MEDIA_ROOT STORAGE_URL S3_BUCKET \
        AUDIT_CHECKPOINT_FILE EMAIL_HOST
    export VAR_DIR
    export DEBUG=0
    SECRET_KEY=$(<"$VAR_DIR/secret-key")
    AUDIT_KEY=$(<"$VAR_DIR/audit-key")
    export SECRET_KEY AUDIT_KEY AUDIT_PREVIOUS_KEYS="$previous"
    export ALLOWED_HOSTS=127.0.0.1,localhost CSRF_TRUSTED_ORIGINS=
    # Plain http on loopback: no redirect to https, and cookies that are sent
    # over http (else no one could sign in).
    export SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0
    export STATICFILES_COMPRESS=0
    export EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend
}

run() {
    local address=${1:-127.0.0.1:8000}
    export SITE_URL="http://$address"
    "$PY" manage.py collectstatic --noinput --verbosity 0
    # The translation catalogues (.mo are build output); without GNU gettext
    # the pages stay in English.
    if command -v msgfmt >/dev/null; then
        "$PY" manage.py compilemessages --ignore .venv --ignore var --ignore node_modules \
            --verbosity 0
    else
        say "msgfmt (GNU gettext) is missing: pages are shown in English only"
    fi
    "$PY" manage.py migrate --noinput
    # The demo's year of history runs hundreds of tasks in this process; their
    # log stays below the console's notice (LOG_LEVEL applies to this step only).
    LOG_LEVEL=WARNING "$PY" manage.py seed_demo
    say "serving $SITE_URL/ (DEBUG off; keys in $VAR_DIR)"
    # One process, so that Django's in-process cache (throttle counts) is one;
    # threads serve requests side by side.
    exec "$PY" -m gunicorn config.wsgi --bind "$address" --workers 1 --threads 8 \
        --timeout 120 --graceful-timeout 5 --access-logfile -
}

[ $# -ge 1 ] || usage
command=$1
shift
case "$command" in
run)
    [ $# -le 1 ] || usage
    embedded_environment
    run "$@"
    ;;
manage)
    embedded_environment
    exec "$PY" manage.py "$@"
    ;;
*) usage ;;
esac
