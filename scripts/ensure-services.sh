#!/usr/bin/env bash
# Make sure the services the test suite needs are up on loopback:
#   PostgreSQL on 127.0.0.1:5432 with role and database "stagegate",
#   Redis on 127.0.0.1:6379, Debian's Chromium at /usr/bin/chromium, the
#   OpenID Connect provider the single sign-on tests start (npm's oidc-provider,
#   installed with Node.js into tests/identity/provider/node_modules), GNU
#   gettext (msgfmt) to compile the translation catalogues, and Prometheus
#   with promtool, which the alert rules' tests run (tests/monitoring).
# Starts what is installed but stopped; installs what is missing with apt-get
# when running as root; otherwise says what to install and exits non-zero.
# Idempotent, and silent when everything is already up.
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432
PG_ROLE=stagegate
PG_PASSWORD=stagegate
PG_DATABASE=stagegate
REDIS_PORT=6379
CHROMIUM=/usr/bin/chromium

export DEBIAN_FRONTEND=noninteractive
APT_UPDATED=0

say() { echo "ensure-services: $*" >&2; }
die() {
    say "$*"
    exit 1
}
is_root() { [ "$(id -u)" -eq 0 ]; }

# apt_install PACKAGE... installs with apt-get when root, or explains and fails.
apt_install() {
    if ! is_root; then
        die "missing: $*. Install it as root: apt-get install -y $*"
    fi
    command -v apt-get >/dev/null || die "missing: $* (and no apt-get here to install it)"
    say "installing $* with apt-get"
    if [ "$APT_UPDATED" -eq 0 ]; then
        apt-get update -q >/dev/null
        APT_UPDATED=1
    fi
    apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

as_postgres() {
    if command -v runuser >/dev/null; then
        runuser -u postgres -- "$@"
    else
        su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
    fi
}

pg_accepting() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2; }

wait_for() {
    local what=$1 seconds=$2
    shift 2
    local i
    for ((i = 0; i < seconds * 2; i++)); do
        if "$@"; then return 0; fi
        sleep 0.5
    done
    die "$what did not come up within ${seconds}s"
}

ensure_postgres() {
    if ! command -v pg_lsclusters >/dev/null; then
        apt_install postgresql
    fi
    if ! pg_accepting; then
        # "Ver Cluster Port Status ..." per line; take the cluster on our port,
        # else the first one listed (a fresh install may bring another version).
        local line
        line=$(pg_lsclusters --no-header 2>/dev/null | awk -v p="$PG_PORT" '$3 == p' | head -n1)
        [ -n "$line" ] || line=$(pg_lsclusters --no-header 2>/dev/null | head -n1)
        if [ -z "$line" ]; then
            is_root || die "no PostgreSQL cluster exists; as root run: pg_createcluster --start <version> main"
            local version
            version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n1)
            [ -n "$version" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
            say "creating PostgreSQL cluster $version/main"
            pg_createcluster --port "$PG_PORT" "$version" main >/dev/null
            line=$(pg_lsclusters --no-header | head -n1)
        fi
        local version name port status
        read -r version name port status _ <<<"$line"
        [ "$port" = "$PG_PORT" ] || die "PostgreSQL cluster $version/$name listens on port $port, not $PG_PORT"
        if [ "$status" != "online" ]; then
            is_root || die "PostgreSQL cluster $version/$name is $status; start it: sudo pg_ctlcluster $version $name start"
            say "starting PostgreSQL cluster $version/$name"
            pg_ctlcluster "$version" "$name" start
        fi
        wait_for "PostgreSQL on $PG_HOST:$PG_PORT" 30 pg_accepting
    fi

    # Role and database: check first with the role's own password, so that a
    # non-root user with everything already set up needs no privileges.
    if PGPASSWORD=$PG_PASSWORD psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_ROLE" -d "$PG_DATABASE" \
        -tAqc "SELECT 1" >/dev/null 2>&1; then
        return 0
    fi
    is_root || die "cannot connect as $PG_ROLE to database $PG_DATABASE; as the postgres user run:
  psql -c \"CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD'\"
  psql -c \"CREATE DATABASE $PG_DATABASE OWNER $PG_ROLE\""
    # Over the Unix socket, where the postgres OS user has peer authentication.
    local psql_admin=(psql -p "$PG_PORT" -X -q -v ON_ERROR_STOP=1 -d postgres -tA)
    if [ "$(as_postgres "${psql_admin[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_ROLE'")" != "1" ]; then
        say "creating PostgreSQL role $PG_ROLE"
        as_postgres "${psql_admin[@]}" -c "CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
    else
        as_postgres "${psql_admin[@]}" -c "ALTER ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
    fi
    if [ "$(as_postgres "${psql_admin[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")" != "1" ]; then
        say "creating PostgreSQL database $PG_DATABASE"
        as_postgres "${psql_admin[@]}" -c "CREATE DATABASE $PG_DATABASE OWNER $PG_ROLE"
    fi
    PGPASSWORD=$PG_PASSWORD psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_ROLE" -d "$PG_DATABASE" \
        -tAqc "SELECT 1" >/dev/null ||
        die "still cannot connect as $PG_ROLE over TCP: check pg_hba.conf allows password auth on $PG_HOST"
}

redis_answering() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

ensure_redis() {
    if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
        apt_install redis-server redis-tools
    fi
    redis_answering && return 0
    say "starting redis-server on 127.0.0.1:$REDIS_PORT"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
        --save '' --appendonly no --logfile "${TMPDIR:-/tmp}/stagegate-redis.log" >/dev/null
    wait_for "Redis on 127.0.0.1:$REDIS_PORT" 15 redis_answering
}

ensure_chromium() {
    if [ ! -x "$CHROMIUM" ]; then
        apt_install chromium
        [ -x "$CHROMIUM" ] || die "chromium was installed but $CHROMIUM is missing"
    fi
}

# The test OpenID Connect provider: `npm ci` from the committed lock file,
# again only when package-lock.json changed since the last install.
OIDC_PROVIDER_DIR="$(cd "$(dirname "$0")/.." && pwd)/tests/identity/provider"
oidc_provider_installed() {
    [ "$OIDC_PROVIDER_DIR/node_modules/.package-lock.json" -nt "$OIDC_PROVIDER_DIR/package-lock.json" ]
}

ensure_oidc_provider() {
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        apt_install nodejs npm
    fi
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    [ "$major" -ge 20 ] || die "Node.js $major is too old for oidc-provider 9: install Node.js 20.19 or later"
    oidc_provider_installed && return 0
    say "installing the test OpenID Connect provider (npm ci in $OIDC_PROVIDER_DIR)"
    (cd "$OIDC_PROVIDER_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
        die "npm ci failed in $OIDC_PROVIDER_DIR"
}

# GNU gettext: makemessages and compilemessages (scripts/check-messages.sh).
ensure_gettext() {
    if ! command -v msgfmt >/dev/null || ! command -v xgettext >/dev/null; then
        apt_install gettext
    fi
}

# Debian's Prometheus 2: promtool checks and unit-tests deploy/prometheus, and
# a test starts the server itself on a free loopback port.
ensure_prometheus() {
    if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
        apt_install prometheus
    fi
}

ensure_postgres
ensure_redis
ensure_chromium
ensure_oidc_provider
ensure_gettext
ensure_prometheus
