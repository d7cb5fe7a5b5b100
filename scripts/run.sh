#!/usr/bin/env bash
# Runs the whole system locally, with no Docker:
#   scripts/run.sh [demo] [--instances N] [--release] [--no-build] [--logs FILE] [-- COMMAND ...]
#
# Installs what is missing, starts (or reuses) the private RabbitMQ and PostgreSQL
# (scripts/servers.sh), builds, then starts the six services as separate processes — each
# creates its own role and schema and migrates at start-up — every log line naming its service,
# prints the URLs, and stops everything on Ctrl-C.
#   demo           also submit one delivery per saga path and print `saga-inspect` traces
#   --instances N  run N instances of each consuming service (account, package, drone, delivery, history)
#   --release      build optimised binaries (slower to build, faster to run)
#   --no-build     run the binaries already built (swift build [-c release] beforehand)
#   --logs FILE    append the services' logs to FILE instead of standard output
#   -- COMMAND     once every service is ready, run COMMAND, then stop the services and exit with its status
# Environment: DRONE_TIME_SCALE (default 0.02 here: flights take seconds, not minutes), LOG_LEVEL,
# EXPLORER_PORT (the saga explorer's, default 8090),
# and every key of the services' configuration (see README).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

DEMO=0
INSTANCES=1
CONFIGURATION=debug
BUILD=1
LOGS=""
COMMAND=()
while [ $# -gt 0 ]; do
    case "$1" in
        demo) DEMO=1 ;;
        --instances) INSTANCES=${2:?--instances needs a number}; shift ;;
        --instances=*) INSTANCES=${1#*=} ;;
        --release) CONFIGURATION=release ;;
        --no-build) BUILD=0 ;;
        --logs) LOGS=${2:?--logs needs a file}; shift ;;
        --) shift; COMMAND=("$@"); break ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 64 ;;
    esac
    shift
done
[[ "$INSTANCES" =~ ^[1-9][0-9]*$ ]] || { echo "--instances must be a positive number" >&2; exit 64; }

say() { printf '\033[1m[run]\033[0m %s\n' "$*" >&2; }

eval "$(scripts/servers.sh start)"
export PATH="/opt/swift/usr/bin:$PATH"

if [ "$BUILD" -eq 1 ]; then
    say "building ($CONFIGURATION)"
    for product in fabrikam-service saga-inspect saga-bench saga-admin; do
        swift build -c "$CONFIGURATION" --product "$product" >&2
    done
fi
BIN=$(swift build -c "$CONFIGURATION" --show-bin-path)
[ -x "$BIN/fabrikam-service" ] || { say "$BIN/fabrikam-service is not built (run without --no-build)"; exit 1; }

# Administrators' URLs serve the setup step only: no daemon gets them.
ADMIN_AMQP_URL=$AMQP_URL
ADMIN_DATABASE_URL=$DATABASE_URL
unset AMQP_URL DATABASE_URL
AMQP_HOSTPORT=${ADMIN_AMQP_URL#*@}
AMQP_HOSTPORT=${AMQP_HOSTPORT%%/*}
PG_HOSTPORT=${ADMIN_DATABASE_URL#*@}
PG_HOSTPORT=${PG_HOSTPORT%%/*}
secret() { scripts/servers.sh secret "$1"; }
# amqp_url USER / database_url ROLE: a service's or tool's own credentials (generated secrets).
# The services reach PostgreSQL on its private Unix socket (still with their passwords): on one
# host it costs less CPU per statement than TCP loopback (saga-bench load, 1000 sagas, 32 in
# flight, two alternated rounds: PostgreSQL 4.58/4.44 → 3.80/3.79 ms of CPU per saga, all
# processes 12.71/12.30 → 11.14/10.96). The port in the URL names the socket's file.
amqp_url() { echo "amqp://$1:$(secret "amqp-$1")@${AMQP_HOSTPORT}/%2f"; }
database_url() { echo "postgresql://$1:$(secret "db-$1")@${PG_HOSTPORT}/fabrikam?host=${FABRIKAM_PG_SOCKET_DIR}"; }

# Setup: every broker user with least-privilege rights and the saga's queues, then each
# service's database role, schema and migrations — with the administrators' URLs.
say "setting up broker users, queues, database roles and schemas"
for user in $("$BIN/saga-admin" broker grants | tail -n +2 | cut -f1); do secret "amqp-$user" >/dev/null; done
"$BIN/saga-admin" broker setup --amqp-admin-url "$ADMIN_AMQP_URL" --secrets-dir "$FABRIKAM_SECRETS" >&2
for name in ingestion account package drone delivery history; do
    DATABASE_ADMIN_URL="$ADMIN_DATABASE_URL" DATABASE_URL=$(database_url "$name") LOG_LEVEL=warning \
        "$BIN/fabrikam-service" "$name" --setup >&2
done
export SAGA_INSPECT_AMQP_URL; SAGA_INSPECT_AMQP_URL=$(amqp_url saga-inspect)
export DRONE_TIME_SCALE=${DRONE_TIME_SCALE:-0.02}
export LOG_LEVEL=${LOG_LEVEL:-info}

PIDS=()
stop_all() {
    trap - INT TERM EXIT
    if [ ${#PIDS[@]} -gt 0 ]; then
        say "stopping the services"
        kill -TERM "${PIDS[@]}" 2>/dev/null || true
        wait "${PIDS[@]}" 2>/dev/null || true
    fi
    say "stopped. The servers keep running for the next start; stop them with: scripts/servers.sh stop"
}
trap stop_all INT TERM EXIT

# start NAME INSTANCE PORT: one process. Its log lines name the service (the logger's label and
# service.name) and, with several instances, the instance (service.instance.id), so they go
# straight to the output: a filter process per service that prefixed each line cost about 5 % of
# the machine's CPU under load (measured with perf during saga-bench load).
start() {
    local name=$1 instance=$2 port=$3 id=""
    if [ "$INSTANCES" -gt 1 ] && [ "$name" != ingestion ]; then id="$name.$instance"; fi
    HTTP_PORT=$port AMQP_URL=$(amqp_url "$name") DATABASE_URL=$(database_url "$name") SERVICE_INSTANCE_ID=$id \
        env -u SAGA_INSPECT_DATABASE_URL -u SAGA_INSPECT_AMQP_URL \
        "$BIN/fabrikam-service" "$name" >> "${LOGS:-/dev/stdout}" 2>&1 &
    PIDS+=($!)
}

declare -A PORT=([ingestion]=8080 [account]=8081 [package]=8082 [drone]=8083 [delivery]=8084 [history]=8086)
READY_PORTS=()
start ingestion 1 "${PORT[ingestion]}"
READY_PORTS+=("${PORT[ingestion]}")
for name in account package drone delivery history; do
    for instance in $(seq 1 "$INSTANCES"); do
        port=$(( PORT[$name] + (instance - 1) * 100 ))
        start "$name" "$instance" "$port"
        READY_PORTS+=("$port")
    done
done

say "waiting for every service to be ready"
for port in "${READY_PORTS[@]}"; do
    for _ in $(seq 1 240); do
        curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
        sleep 0.5
    done
    curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 || { say "a service on port $port did not become ready"; exit 1; }
done

# The HTTP API wants an API key: an operator's, issued once (only its hash is stored), kept in
# .data/secrets and reused while the services still accept it; exported for the demo and COMMAND.
KEY_FILE="$ROOT/.data/secrets/api-operator-key"
key_accepted() {  # history answers an unknown delivery 404 to a valid key, 401 to any other
    [ -s "$KEY_FILE" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$KEY_FILE")" \
        "http://127.0.0.1:${PORT[history]}/api/deliveries/00000000-0000-0000-0000-000000000000")" = 404 ]
}
if ! key_accepted; then
    (umask 077; mkdir -p "$(dirname "$KEY_FILE")"
     "$BIN/saga-admin" api-keys issue --operator --label "scripts/run.sh" --database-url "$ADMIN_DATABASE_URL" > "$KEY_FILE")
fi
export FABRIKAM_API_KEY; FABRIKAM_API_KEY=$(cat "$KEY_FILE")
say "API key (operator) in $KEY_FILE: export FABRIKAM_API_KEY=\$(cat $KEY_FILE); more keys: $BIN/saga-admin api-keys issue --owner <ownerId>"

# The saga explorer (saga-explorer) beside the services: it reads every schema as the read-only
# role, and the parking queues as saga-admin's broker user (which may replay them, after confirmation).
EXPLORER_PORT=${EXPLORER_PORT:-8090}
"$BIN/saga-explorer" --port "$EXPLORER_PORT" --amqp-url "$(amqp_url saga-admin)" \
    >> "${LOGS:-/dev/stdout}" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$EXPLORER_PORT/" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fsS "http://127.0.0.1:$EXPLORER_PORT/" >/dev/null 2>&1 || say "the saga explorer did not answer on port $EXPLORER_PORT (see its log lines)"

cat >&2 <<MSG

$(printf '\033[1m')Fabrikam Drone Delivery is running$(printf '\033[0m') ($INSTANCES instance(s) per consuming service)
  Request a delivery:  curl -si http://127.0.0.1:8080/api/deliveries -H "Authorization: Bearer \$FABRIKAM_API_KEY" -H 'Content-Type: application/json' -d '{"ownerId":"acct-active-001",
                         "pickupLocation":{"latitude":47.6205,"longitude":-122.3493},"dropoffLocation":{"latitude":47.6097,"longitude":-122.3331},
                         "pickupTime":"2030-05-01T09:30:00Z","deadline":"2030-05-01T11:00:00Z","expedited":false,
                         "confirmationRequired":"None","packageInfo":{"size":"small","weightKg":1.2,"tag":"order-1001"}}'
  Delivery status:     http://127.0.0.1:8086/api/deliveries/{id}   timeline: …/{id}/events
  Trace a delivery:    $BIN/saga-inspect trace {id}
  Saga explorer:       http://127.0.0.1:$EXPLORER_PORT/   (one saga: http://127.0.0.1:$EXPLORER_PORT/sagas/{id})
  Metrics:             http://127.0.0.1:{8080,8081,8082,8083,8084,8086}/metrics  (instance k: port + 100·(k-1))
  Health:              http://127.0.0.1:{port}/health/ready
  RabbitMQ:            amqp://${AMQP_HOSTPORT}   management: http://127.0.0.1:$(( ${FABRIKAM_AMQP_PORT:-5680} + 10000 ))/
                       (user fabrikam-admin, password: scripts/servers.sh secret rabbitmq-admin)
  PostgreSQL:          postgresql://postgres@${PG_HOSTPORT}/fabrikam  (password: scripts/servers.sh secret postgres-admin)
  Secrets:             $FABRIKAM_SECRETS (generated; each service has its own broker user and database role)
Ctrl-C stops the services.
MSG

if [ "$DEMO" -eq 1 ]; then
    say "demo: one delivery per saga path"
    DEMO_IDS="$ROOT/.data/demo-deliveries.txt"
    "$BIN/saga-bench" demo > "$DEMO_IDS" || say "some demo sagas did not end in time (traced below)"
    while read -r path id; do
        printf '\n\033[1m== %s: saga-inspect trace %s\033[0m\n' "$path" "$id"
        "$BIN/saga-inspect" trace "$id" || true
    done < "$DEMO_IDS"
    say "demo done; the services keep running (Ctrl-C stops them)"
fi

if [ ${#COMMAND[@]} -gt 0 ]; then
    say "running: ${COMMAND[*]}"
    status=0
    # The command is the operator's (a benchmark reads pg_stat_statements): it gets the administrators' URLs.
    AMQP_URL=$ADMIN_AMQP_URL DATABASE_URL=$ADMIN_DATABASE_URL "${COMMAND[@]}" || status=$?
    exit "$status"   # the EXIT trap stops the services
fi

wait
