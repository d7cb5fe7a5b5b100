#!/usr/bin/env bash
# Private RabbitMQ and PostgreSQL for this checkout, with no Docker.
#
#   scripts/servers.sh start    install what is missing, start both (reuses running ones), print URLs
#   scripts/servers.sh stop     stop both cleanly
#   scripts/servers.sh status   say what runs
#   scripts/servers.sh env      print `export` lines for AMQP_URL, DATABASE_URL (administrators),
#                               SAGA_INSPECT_DATABASE_URL (read-only) and FABRIKAM_SECRETS
#   scripts/servers.sh secret NAME   print the generated secret NAME (created on first use)
#   scripts/servers.sh restart-rabbitmq | restart-postgres | stop-rabbitmq-app | start-rabbitmq-app
#                               (used by the chaos tests)
#
# Nothing runs with a default password: the broker's `guest` user is deleted, and its
# administrator (`fabrikam-admin`), PostgreSQL's `postgres` and every role or broker user the
# launcher creates get a random secret generated under .data/secrets/ (mode 0600). PostgreSQL
# listens on 127.0.0.1 and on a private Unix socket, and asks every role for its scram-sha-256
# password (except `postgres` on the socket: peer authentication, for this script).
#
# Everything lives under .data/ in the checkout (git-ignored). Ports can be moved with
# FABRIKAM_AMQP_PORT (default 5680; its Erlang distribution port is +20000) and
# FABRIKAM_PG_PORT (default 5440). Must run as root (it installs packages and switches to
# the rabbitmq and postgres users).
set -euo pipefail

# The servers outlive this script: do not let them inherit any descriptor but stdin/out/err
# (a caller waiting for EOF on a pipe it passed us would otherwise wait for the servers' exit).
for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null || true
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA="$ROOT/.data"
AMQP_PORT=${FABRIKAM_AMQP_PORT:-5680}
PG_PORT=${FABRIKAM_PG_PORT:-5440}
RABBIT_NODE="fabrikam-${AMQP_PORT}@localhost"
RABBIT_DIR="$DATA/rabbitmq"
PG_DIR="$DATA/postgres"
PG_SOCKET_DIR="$DATA/pg-socket"
PG_BIN=/usr/lib/postgresql/15/bin
DB_NAME=fabrikam

SECRETS="$DATA/secrets"
RABBIT_ADMIN=fabrikam-admin
INSPECTOR_ROLE=saga_inspect

say() { printf '[servers] %s\n' "$*" >&2; }
die() { printf '[servers] error: %s\n' "$*" >&2; exit 1; }

install_missing() {
    local wanted=(rabbitmq-server postgresql librabbitmq-dev libpq-dev pkg-config amqp-tools curl)
    local missing=()
    for pkg in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "missing Debian packages (${missing[*]}) and not root to install them"
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Debian starts services on install; keep the system-wide ones off, we run private ones.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    rm -f /usr/sbin/policy-rc.d
}

# --- Secrets ----------------------------------------------------------------------------

# Prints the secret NAME, generating it (48 hex characters from /dev/urandom) on first use.
secret() {
    local file="$SECRETS/$1"
    if [ ! -s "$file" ]; then
        mkdir -p "$SECRETS"
        chmod 700 "$SECRETS"
        (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$file")
    fi
    cat "$file"
}

amqp_url() { echo "amqp://${RABBIT_ADMIN}:$(secret rabbitmq-admin)@127.0.0.1:${AMQP_PORT}/%2f"; }
database_url() { echo "postgresql://postgres:$(secret postgres-admin)@127.0.0.1:${PG_PORT}/${DB_NAME}"; }
inspector_url() { echo "postgresql://${INSPECTOR_ROLE}:$(secret db-${INSPECTOR_ROLE})@127.0.0.1:${PG_PORT}/${DB_NAME}"; }

# --- RabbitMQ ---------------------------------------------------------------------------

# Runs a RabbitMQ command as the rabbitmq user with this checkout's node settings.
as_rabbit() {
    runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq \
        RABBITMQ_NODENAME="$RABBIT_NODE" \
        RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
        RABBITMQ_NODE_PORT="$AMQP_PORT" \
        RABBITMQ_DIST_PORT="$((AMQP_PORT + 20000))" \
        RABBITMQ_MNESIA_BASE="$RABBIT_DIR/mnesia" \
        RABBITMQ_LOG_BASE="$RABBIT_DIR/log" \
        RABBITMQ_PID_FILE="$RABBIT_DIR/rabbit.pid" \
        RABBITMQ_CONFIG_FILE="$RABBIT_DIR/rabbitmq" \
        RABBITMQ_ENABLED_PLUGINS_FILE="$RABBIT_DIR/enabled_plugins" \
        "$@"
}

rabbitmqctl_private() {
    as_rabbit /usr/lib/rabbitmq/bin/rabbitmqctl -n "$RABBIT_NODE" "$@"
}

rabbit_running() {
    rabbitmqctl_private status >/dev/null 2>&1
}

start_rabbit() {
    if rabbit_running; then
        say "RabbitMQ already running ($RABBIT_NODE)"
        return 0
    fi
    mkdir -p "$RABBIT_DIR/mnesia" "$RABBIT_DIR/log"
    # The node needs to traverse to its data directory.
    local d="$RABBIT_DIR"
    while [ "$d" != "/" ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
    cat > "$RABBIT_DIR/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:${AMQP_PORT}
loopback_users.guest = true
default_user = ${RABBIT_ADMIN}
default_pass = $(secret rabbitmq-admin)
default_user_tags.administrator = true
disk_free_limit.absolute = 50MB
management.tcp.ip = 127.0.0.1
management.tcp.port = $((AMQP_PORT + 10000))
vm_memory_high_watermark.relative = 0.4
EOF
    echo '[rabbitmq_management].' > "$RABBIT_DIR/enabled_plugins"
    chown -R rabbitmq:rabbitmq "$RABBIT_DIR"
    chmod 600 "$RABBIT_DIR/rabbitmq.conf"   # holds the administrator's password
    if [ ! -f /var/lib/rabbitmq/.erlang.cookie ]; then
        mkdir -p /var/lib/rabbitmq
        head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n' > /var/lib/rabbitmq/.erlang.cookie
        chown rabbitmq:rabbitmq /var/lib/rabbitmq /var/lib/rabbitmq/.erlang.cookie
        chmod 400 /var/lib/rabbitmq/.erlang.cookie
    fi
    # A pid file left by a node that died with the machine would make the wait below pass early.
    rm -f "$RABBIT_DIR/rabbit.pid"
    say "starting RabbitMQ $RABBIT_NODE on 127.0.0.1:$AMQP_PORT"
    as_rabbit setsid /usr/lib/rabbitmq/bin/rabbitmq-server >"$RABBIT_DIR/log/console.log" 2>&1 < /dev/null &
    if ! timeout 90 bash -c "until [ -s '$RABBIT_DIR/rabbit.pid' ]; do sleep 0.5; done"; then
        tail -n 30 "$RABBIT_DIR/log/console.log" >&2 || true
        die "RabbitMQ did not write its pid file; log above"
    fi
    # await_startup fails at once while the node is not yet registered with epmd: retry until a deadline.
    local started=0 deadline=$((SECONDS + 90))
    while [ $SECONDS -lt $deadline ]; do
        if rabbitmqctl_private --timeout 60 await_startup >/dev/null 2>&1; then started=1; break; fi
        sleep 1
    done
    if [ $started -ne 1 ]; then
        tail -n 30 "$RABBIT_DIR/log/console.log" >&2 || true
        die "RabbitMQ did not start; see $RABBIT_DIR/log"
    fi
    say "RabbitMQ ready"
}

# The administrator with this checkout's secret, and no guest (a broker first started before
# these settings existed still has guest and no administrator).
secure_rabbit() {
    local users
    users=$(rabbitmqctl_private -q list_users 2>/dev/null | awk '{print $1}')
    if ! grep -qx "$RABBIT_ADMIN" <<<"$users"; then
        rabbitmqctl_private add_user "$RABBIT_ADMIN" "$(secret rabbitmq-admin)" >/dev/null
    fi
    rabbitmqctl_private change_password "$RABBIT_ADMIN" "$(secret rabbitmq-admin)" >/dev/null
    rabbitmqctl_private set_user_tags "$RABBIT_ADMIN" administrator >/dev/null
    rabbitmqctl_private set_permissions -p / "$RABBIT_ADMIN" '.*' '.*' '.*' >/dev/null
    if grep -qx guest <<<"$users"; then rabbitmqctl_private delete_user guest >/dev/null; fi
}

stop_rabbit() {
    if rabbit_running; then
        say "stopping RabbitMQ"
        rabbitmqctl_private stop >/dev/null 2>&1 || true
    fi
}

# --- PostgreSQL -------------------------------------------------------------------------

pg() { runuser -u postgres -- "$@"; }

pg_running() {
    [ -f "$PG_DIR/PG_VERSION" ] && pg "$PG_BIN/pg_ctl" -D "$PG_DIR" status >/dev/null 2>&1
}

start_postgres() {
    mkdir -p "$PG_SOCKET_DIR"
    chown postgres:postgres "$PG_SOCKET_DIR"
    local d="$DATA"
    while [ "$d" != "/" ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
    if pg_running; then
        say "PostgreSQL already running (port $PG_PORT)"
    else
        if [ ! -f "$PG_DIR/PG_VERSION" ]; then
            mkdir -p "$PG_DIR"
            chown postgres:postgres "$PG_DIR"
            chmod 700 "$PG_DIR"
            say "initdb $PG_DIR"
            pg "$PG_BIN/initdb" -D "$PG_DIR" -U postgres --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
            cat >> "$PG_DIR/postgresql.conf" <<EOF
# fabrikam private instance
listen_addresses = '127.0.0.1'
port = ${PG_PORT}
unix_socket_directories = '${PG_SOCKET_DIR}'
shared_buffers = 256MB
EOF
        fi
        say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
        # The parallel test suites run many service runtimes at once (6 connections each).
        # pg_stat_statements: saga-bench load reports the SQL statements per saga from it.
        # The port is given here too, so FABRIKAM_PG_PORT holds for a data directory made earlier.
        pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -o "-c port=${PG_PORT} -c max_connections=1000 -c shared_preload_libraries=pg_stat_statements" \
            -l "$PG_DIR/server.log" -w -t 60 start >/dev/null ||
            { tail -n 30 "$PG_DIR/server.log" >&2; die "PostgreSQL did not start"; }
    fi
    if ! pg psql -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
        pg psql -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -qc "CREATE DATABASE $DB_NAME" >/dev/null
    fi
    secure_postgres
    # Readable only where the server preloads it (a server started before this setting was added does not).
    pg psql -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -d "$DB_NAME" -qc \
        "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null 2>&1 || true
    say "PostgreSQL ready"
}

# Passwords for the administrator and the read-only inspector role, then the private instance's
# authentication (see write_pg_auth).
secure_postgres() {
    local psql=(pg psql -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -d "$DB_NAME" -qAt -v ON_ERROR_STOP=1)
    "${psql[@]}" -v pw="$(secret postgres-admin)" -v inspector_pw="$(secret db-${INSPECTOR_ROLE})" >/dev/null <<'SQL'
SET password_encryption = 'scram-sha-256';
ALTER ROLE postgres PASSWORD :'pw';
SELECT format('CREATE ROLE %I NOLOGIN', 'saga_inspect') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'saga_inspect')
\gexec
ALTER ROLE saga_inspect LOGIN PASSWORD :'inspector_pw';
SQL
    write_pg_auth
}

# The private instance's authentication, rewritten (and reloaded) whenever it differs, so a data
# directory made by an earlier version gets it too:
# - on the private Unix socket, `postgres` by peer authentication for the OS users postgres (this
#   script) and root (the benchmark's reference, scripts/bench-compare.sh), every other role by
#   scram-sha-256 password: scripts/run.sh connects the services there, as it costs less CPU per
#   statement than TCP loopback;
# - over TCP (127.0.0.1 only), every role by scram-sha-256 password.
write_pg_auth() {
    local hba="$PG_DIR/pg_hba.conf" ident="$PG_DIR/pg_ident.conf" hba_text ident_text
    hba_text=$(printf '%s\n' "# fabrikam private instance (scripts/servers.sh): passwords, but peer for postgres on the private socket" \
        "local all postgres peer map=fabrikam_admin" "local all all scram-sha-256" \
        "host all all 127.0.0.1/32 scram-sha-256" "host all all ::1/128 scram-sha-256")
    ident_text=$(printf '%s\n' "# fabrikam private instance (scripts/servers.sh): OS users that are postgres on the private socket" \
        "fabrikam_admin postgres postgres" "fabrikam_admin root postgres")
    if [ "$(cat "$hba" 2>/dev/null)" != "$hba_text" ] || [ "$(cat "$ident" 2>/dev/null)" != "$ident_text" ]; then
        say "PostgreSQL: writing pg_hba.conf and pg_ident.conf (passwords; peer for postgres on the private socket)"
        printf '%s\n' "$hba_text" > "$hba"
        printf '%s\n' "$ident_text" > "$ident"
        chown postgres:postgres "$hba" "$ident"
        chmod 600 "$hba" "$ident"
        pg "$PG_BIN/pg_ctl" -D "$PG_DIR" reload >/dev/null
    fi
}

stop_postgres() {
    if pg_running; then
        say "stopping PostgreSQL"
        pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -m fast -w stop >/dev/null
    fi
}

print_env() {
    echo "export AMQP_URL='$(amqp_url)'"
    echo "export DATABASE_URL='$(database_url)'"
    echo "export SAGA_INSPECT_DATABASE_URL='$(inspector_url)'"
    echo "export FABRIKAM_SECRETS='$SECRETS'"
    # The private Unix socket's directory: a libpq URL reaches it with ?host=<dir> (port as in DATABASE_URL).
    echo "export FABRIKAM_PG_SOCKET_DIR='$PG_SOCKET_DIR'"
}

case "${1:-start}" in
start)
    install_missing
    start_postgres
    start_rabbit
    secure_rabbit
    print_env
    ;;
stop)
    stop_rabbit
    stop_postgres
    ;;
status)
    if rabbit_running; then echo "rabbitmq: running (127.0.0.1:$AMQP_PORT)"; else echo "rabbitmq: stopped"; fi
    if pg_running; then echo "postgres: running (127.0.0.1:$PG_PORT)"; else echo "postgres: stopped"; fi
    ;;
env)
    print_env
    ;;
secret)
    secret "${2:?usage: $0 secret NAME}"
    echo
    ;;
restart-rabbitmq)
    # Stops and starts the broker application (durable queues and persistent messages survive).
    rabbitmqctl_private stop_app >/dev/null
    rabbitmqctl_private start_app >/dev/null
    rabbitmqctl_private --timeout 60 await_startup >/dev/null
    say "RabbitMQ restarted"
    ;;
stop-rabbitmq-app)
    # Stops the broker application (the node stays up): clients see the broker gone.
    rabbitmqctl_private stop_app >/dev/null
    say "RabbitMQ application stopped"
    ;;
start-rabbitmq-app)
    rabbitmqctl_private start_app >/dev/null
    rabbitmqctl_private --timeout 60 await_startup >/dev/null
    say "RabbitMQ application started"
    ;;
restart-postgres)
    pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -m fast -w restart -o "-c max_connections=1000 -c shared_preload_libraries=pg_stat_statements" \
        -l "$PG_DIR/server.log" >/dev/null
    say "PostgreSQL restarted"
    ;;
*)
    die "usage: $0 start|stop|status|env|restart-rabbitmq|restart-postgres|stop-rabbitmq-app|start-rabbitmq-app"
    ;;
esac
