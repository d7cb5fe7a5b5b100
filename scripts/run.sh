#!/usr/bin/env bash
# Runs the whole system locally, with no Docker:
#   scripts/run.sh [demo] [--instances N] [--release] [--no-build] [--logs FILE] [-- COMMAND ...]
#
# Installs what is missing, starts (or reuses) the private RabbitMQ and PostgreSQL
# (scripts/servers.sh), builds, then starts the six services as separate processes — each
# creates its own role and schema and migrates at start-up — with their logs prefixed by
# service name, prints the URLs, and stops everything on Ctrl-C.
#   demo           also submit one delivery per saga path and print `saga-inspect` traces
#   --instances N  run N instances of each consuming service (account, package, drone, delivery, history)
#   --release      build optimised binaries (slower to build, faster to run)
#   --no-build     run the binaries already built (swift build [-c release] beforehand)
#   --logs FILE    append the services' prefixed logs to FILE instead of standard output
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
    swift build -c "$CONFIGURATION" --product fabrikam-service >&2
    swift build -c "$CONFIGURATION" --product saga-inspect >&2
    swift build -c "$CONFIGURATION" --product saga-bench >&2
fi
BIN=$(swift build -c "$CONFIGURATION" --show-bin-path)
[ -x "$BIN/fabrikam-service" ] || { say "$BIN/fabrikam-service is not built (run without --no-build)"; exit 1; }

# Each service connects with its own role (created with the admin URL at start-up).
PG_HOSTPORT=${DATABASE_URL#postgresql://postgres@}
PG_HOSTPORT=${PG_HOSTPORT%%/*}
export DATABASE_ADMIN_URL="$DATABASE_URL"
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

# start NAME INSTANCE PORT: one process, its output prefixed with "[name]" (or "[name.instance]").
start() {
    local name=$1 instance=$2 port=$3 label
    label=$name
    if [ "$INSTANCES" -gt 1 ] && [ "$name" != ingestion ]; then label="$name.$instance"; fi
    HTTP_PORT=$port DATABASE_URL="postgresql://${name}:${name}@${PG_HOSTPORT}/fabrikam" \
        "$BIN/fabrikam-service" "$name" > >(sed -u "s/^/[$label] /" >> "${LOGS:-/dev/stdout}") 2>&1 &
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

# The saga explorer (saga-inspect serve) beside the services, reading every schema.
EXPLORER_PORT=${EXPLORER_PORT:-8090}
SAGA_INSPECT_DATABASE_URL="$DATABASE_ADMIN_URL" "$BIN/saga-inspect" serve --port "$EXPLORER_PORT" \
    > >(sed -u "s/^/[explorer] /" >> "${LOGS:-/dev/stdout}") 2>&1 &
PIDS+=($!)
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$EXPLORER_PORT/" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fsS "http://127.0.0.1:$EXPLORER_PORT/" >/dev/null 2>&1 || say "the saga explorer did not answer on port $EXPLORER_PORT (see [explorer] lines)"

cat >&2 <<MSG

$(printf '\033[1m')Fabrikam Drone Delivery is running$(printf '\033[0m') ($INSTANCES instance(s) per consuming service)
  Request a delivery:  curl -si http://127.0.0.1:8080/api/deliveries -H 'Content-Type: application/json' -d '{"ownerId":"acct-active-001",
                         "pickupLocation":{"latitude":47.6205,"longitude":-122.3493},"dropoffLocation":{"latitude":47.6097,"longitude":-122.3331},
                         "pickupTime":"2030-05-01T09:30:00Z","deadline":"2030-05-01T11:00:00Z","expedited":false,
                         "confirmationRequired":"None","packageInfo":{"size":"small","weightKg":1.2,"tag":"order-1001"}}'
  Delivery status:     http://127.0.0.1:8086/api/deliveries/{id}   timeline: …/{id}/events
  Trace a delivery:    $BIN/saga-inspect trace {id}
  Saga explorer:       http://127.0.0.1:$EXPLORER_PORT/   (one saga: http://127.0.0.1:$EXPLORER_PORT/sagas/{id})
  Metrics:             http://127.0.0.1:{8080,8081,8082,8083,8084,8086}/metrics  (instance k: port + 100·(k-1))
  Health:              http://127.0.0.1:{port}/health/ready
  RabbitMQ:            $AMQP_URL   management: http://127.0.0.1:$(( ${FABRIKAM_AMQP_PORT:-5680} + 10000 ))/ (guest/guest)
  PostgreSQL:          $DATABASE_ADMIN_URL
Ctrl-C stops the services.
MSG

if [ "$DEMO" -eq 1 ]; then
    say "demo: one delivery per saga path"
    DEMO_IDS="$ROOT/.data/demo-deliveries.txt"
    "$BIN/saga-bench" demo > "$DEMO_IDS" || say "some demo sagas did not end in time (traced below)"
    while read -r path id; do
        printf '\n\033[1m== %s: saga-inspect trace %s\033[0m\n' "$path" "$id"
        SAGA_INSPECT_DATABASE_URL="$DATABASE_ADMIN_URL" "$BIN/saga-inspect" trace "$id" || true
    done < "$DEMO_IDS"
    say "demo done; the services keep running (Ctrl-C stops them)"
fi

if [ ${#COMMAND[@]} -gt 0 ]; then
    say "running: ${COMMAND[*]}"
    status=0
    "${COMMAND[@]}" || status=$?
    exit "$status"   # the EXIT trap stops the services
fi

wait
