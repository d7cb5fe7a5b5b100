#!/usr/bin/env bash
# Runs the Python reference (bench/python-reference) and this project back to back on the same
# private servers, with the same N sagas, C in flight (closed loop) and mix — 90 % completed,
# 5 % suspended account, 5 % no-fly zone, over 1,000 owners — twice, alternated (python,
# project, python, project), and prints every run, the medians of each system and the ratios.
# Each round ends with `saga-bench floor` at the same N and C: the saga's messages (and one
# commit per batch) with no service work, the floor under both systems on these servers.
#
#   scripts/bench-compare.sh [N] [C]        (defaults 2000 32)
#
# BENCH_ROUNDS=K (default 2) alternates K times instead: on a machine whose speed drifts between
# runs, the medians of three or more rounds are not moved by one slow run.
#
# It starts the private servers (installing any missing Debian packages), then builds release
# binaries (`swift build -c release`, nothing to do when up to date). It is
# heavy (it starts twelve services and loads two cores): on a shared machine build beforehand,
# then hold a lock only while measuring:
#   swift build -c release && flock /tmp/fabrikam-heavy.lock scripts/bench-compare.sh 2000 32
#
# Python side: bench/python-reference/bench.sh against the project's servers (database `peer`,
# exchange `peer.events`, port 8088; it resets its own schemas), its virtualenv in
# $PEER_VENV (default /tmp/python-saga-venv), measured by `saga-bench usage` from its readiness
# until every saga is terminal in its history. Project side: the project's six schemas in the
# `fabrikam` database are dropped (each service recreates its own at start-up), then
# `scripts/run.sh --release --no-build -- saga-bench load` starts the six services, runs the
# closed loop and stops them; flights are instant (DRONE_TIME_SCALE=0) and the fleet has 500
# drones like the reference's. Logs and each run's full output go to $BENCH_OUT (default a new
# directory under /tmp).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

N=${1:-2000}
C=${2:-32}
ROUNDS=${BENCH_ROUNDS:-2}
[[ "$N" =~ ^[1-9][0-9]*$ && "$C" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [N] [C] (positive numbers)" >&2; exit 64; }
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_ROUNDS must be a positive number" >&2; exit 64; }
OUT=${BENCH_OUT:-$(mktemp -d /tmp/fabrikam-bench-compare.XXXXXX)}
mkdir -p "$OUT"
BIN="$ROOT/.build/release"
say() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
export PATH="/opt/swift/usr/bin:$PATH"
# The servers first: starting them installs any missing Debian packages (librabbitmq-dev and
# libpq-dev among them), without which a fresh machine's build fails.
SERVERS=$(scripts/servers.sh start) || die "the private servers did not start"
eval "$SERVERS"
swift build -c release >&2 || die "the release build failed"
export AMQP_URL DATABASE_URL FABRIKAM_PG_SOCKET_DIR
AMQP_PORT=$(sed -E 's|.*:([0-9]+)/.*|\1|' <<<"$AMQP_URL")
PEER_DSN="${DATABASE_URL%/*}/peer"
# The reference's processes reach PostgreSQL on the private Unix socket, like the project's
# services (scripts/run.sh) and like the reference's own default; the usage meter uses TCP.
# (The socket's directory goes percent-encoded in the host part, which the reference's own
# parsing of PG_DSN expects to end in /<database>.)
PG_PORT=$(sed -E 's|.*:([0-9]+)/.*|\1|' <<<"$DATABASE_URL")
PEER_SOCKET_DSN="postgresql://postgres@$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$FABRIKAM_PG_SOCKET_DIR"):${PG_PORT}/peer"
psql "$DATABASE_URL" -tAc "SELECT 1 FROM pg_database WHERE datname = 'peer'" | grep -q 1 ||
    psql "$DATABASE_URL" -qc "CREATE DATABASE peer" >/dev/null

# The project's side: instant flights and a fleet the size of the reference's (500 drones).
export DRONE_TIME_SCALE=0
export DRONE_FLEET=${DRONE_FLEET:-167x5kg/30km/60kmh,200x12kg/50km/70kmh,133x25kg/80km/50kmh}

# The reference's load generator waits with a query every 20 ms, and asyncpg's pool follows each
# with a reset (four statements, one transaction): the load generator's, not the reference's, so
# they are left out of its SQL per saga as the project's own watcher queries are left out of its.
LOADGEN_WAIT="SELECT delivery_id::text AS id FROM history.status WHERE delivery_id = ANY%"
LOADGEN_EXCLUSIONS=(
    --exclude-statements "$LOADGEN_WAIT" --exclude-statements "RESET ALL" --exclude-statements "CLOSE ALL"
    --exclude-statements "UNLISTEN *" --exclude-statements "SELECT pg_advisory_unlock_all()"
    --exclude-transactions "$LOADGEN_WAIT" --exclude-transactions "RESET ALL"
)

# checkpoint: a CHECKPOINT before each run (the next timed one is then checkpoint_timeout away),
# so no checkpoint, with the full-page writes that follow it, falls inside one run and not another.
checkpoint() { psql "$DATABASE_URL" -qc "CHECKPOINT" >/dev/null; }

# python_run K: the reference's bench.sh, measured by saga-bench usage; RESULT and USAGE lines in $OUT/python-K.out.
python_run() {
    local run=$1 usage
    say "run $run: Python reference, N=$N C=$C"
    checkpoint
    "$BIN/saga-bench" usage --database-url "$PEER_DSN" --program saga \
        --ready-url http://127.0.0.1:8088/health --ready-queues peer.account,peer.package,peer.drone,peer.delivery,peer.history \
        --until-sql "SELECT count(*) >= $N FROM history.status WHERE terminal_at IS NOT NULL" --sagas "$N" "${LOADGEN_EXCLUSIONS[@]}" \
        > "$OUT/python-$run.usage" 2>&1 &
    usage=$!
    PG_DSN="$PEER_SOCKET_DSN" AMQP_URL="$AMQP_URL" RABBIT_NODE="fabrikam-$AMQP_PORT@localhost" \
        bench/python-reference/bench.sh "$N" "$C" > "$OUT/python-$run.out" 2>&1 || say "run $run: the reference's bench.sh failed (see $OUT/python-$run.out)"
    # It ends 11 s after the last saga is terminal (see --settle-ms); give it that and a little more, no more.
    for _ in $(seq 60); do kill -0 "$usage" 2>/dev/null || break; sleep 0.5; done
    kill "$usage" 2>/dev/null || true
    wait "$usage" || say "run $run: saga-bench usage failed (see $OUT/python-$run.usage)"
    cat "$OUT/python-$run.out" "$OUT/python-$run.usage"
    grep '^USAGE' "$OUT/python-$run.usage" >> "$OUT/python-$run.out" || true
}

# project_run K: fresh schemas, then run.sh starts the services, runs saga-bench load and stops them.
project_run() {
    local run=$1
    say "run $run: this project, N=$N C=$C"
    psql "$DATABASE_URL" -qc "SET client_min_messages = warning" \
        -c "DROP SCHEMA IF EXISTS ingestion, account, package, drone, delivery, history CASCADE" >/dev/null
    checkpoint
    scripts/run.sh --release --no-build --logs "$OUT/project-$run.services.log" -- \
        "$BIN/saga-bench" load --count "$N" --concurrency "$C" \
        > "$OUT/project-$run.out" 2>> "$OUT/project-$run.services.log" || say "run $run: saga-bench load failed (see $OUT/project-$run.out)"
    cat "$OUT/project-$run.out"
}

# floor_run K: the bare saga (saga-bench floor) at the same N and C; its FLOOR line in $OUT/floor-K.out.
floor_run() {
    local run=$1
    say "run $run: bare saga floor, N=$N C=$C"
    checkpoint
    "$BIN/saga-bench" floor --count "$N" --concurrency "$C" > "$OUT/floor-$run.out" 2>&1 ||
        say "run $run: saga-bench floor failed (see $OUT/floor-$run.out)"
    cat "$OUT/floor-$run.out"
}

for run in $(seq 1 "$ROUNDS"); do
    python_run "$run"
    project_run "$run"
    floor_run "$run"
done

# The summary: every key=value of the RESULT, USAGE and FLOOR lines, per run, medians, and the ratios.
for system in project python floor; do
    for run in $(seq 1 "$ROUNDS"); do
        grep -hE '^(RESULT|USAGE|FLOOR) ' "$OUT/$system-$run.out" | tr ' ' '\n' | grep '=' | sed "s/^/$system $run /" || true
    done
done > "$OUT/figures.txt"

echo
echo "== N=$N sagas, C=$C in flight (closed loop), mix 90 % completed / 5 % suspended / 5 % no-fly zone, 1,000 owners; outputs in $OUT"
awk -v rounds="$ROUNDS" '
    {
        split($3, kv, "="); key = kv[1]; value[$1, $2, key] = kv[2]
        if ($1 == "floor") { if (!(key in floorSeen)) { floorSeen[key] = 1; floorKeys[++floorCount] = key } }
        else if (!(key in seen)) { seen[key] = 1; keys[++count] = key }
    }
    # The median of the runs of one system, or "" if any run lacks a number.
    function median(sys, key,   n, i, j, v, t) {
        n = 0
        for (i = 1; i <= rounds; i++) {
            t = value[sys, i, key]
            if (t == "" || t !~ /^[0-9.]+$/) return ""
            v[++n] = t + 0
        }
        for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    function cell(text) { return sprintf("%10s", text == "" ? "-" : text) }
    function row(label, sys, key,   i, line) {
        line = ""
        for (i = 1; i <= rounds; i++) line = line " " cell(value[sys, i, key])
        return line
    }
    END {
        header = sprintf("%-32s", "figure")
        for (s = 1; s <= 2; s++) {
            sys = s == 1 ? "python" : "project"
            for (i = 1; i <= rounds; i++) header = header " " sprintf("%10s", sys " " i)
            header = header " " sprintf("%10s", "median") "  "
        }
        print header " " sprintf("%10s", "proj/py")
        for (k = 1; k <= count; k++) {
            key = keys[k]
            if (key == "sagas" || key == "ok" || key == "unexpected" || key == "not_ended") continue
            mp = median("python", key); mj = median("project", key)
            ratio = (mp != "" && mj != "" && mp > 0) ? sprintf("%.2f", mj / mp) : ""
            printf "%-32s%s %s  %s %s   %s\n", key, row(key, "python", key), cell(mp == "" ? "" : sprintf("%.2f", mp)),
                row(key, "project", key), cell(mj == "" ? "" : sprintf("%.2f", mj)), cell(ratio)
        }
        for (s = 1; s <= 2; s++) {
            sys = s == 1 ? "python" : "project"
            printf "%-32s%s\n", sys " runs ok", row("ok", sys, "ok")
        }
        py = median("python", "sagas_per_s"); pj = median("project", "sagas_per_s")
        p99py = median("python", "p99_ms"); p99pj = median("project", "p99_ms")
        if (py > 0) printf "\nsagas/s ratio (project ÷ python, medians): %.2f\n", pj / py
        if (p99py > 0) printf "p99 ratio (project ÷ python, medians):     %.2f\n", p99pj / p99py
        # The floor beside 3x the reference.
        if (!floorCount) { print "\nbare saga floor: no figures (see floor-*.out)"; exit }
        print "\nbare saga floor (saga-bench floor: the same messages and one commit per batch, no service work), medians:"
        for (k = 1; k <= floorCount; k++) {
            key = floorKeys[k]
            if (key == "sagas") continue
            runs = ""
            for (i = 1; i <= rounds; i++) runs = runs " " value["floor", i, key]
            printf "  %-32s%s  (runs:%s)\n", key, median("floor", key), runs
        }
        floor = median("floor", "sagas_per_s")
        if (py > 0 && floor > 0) printf "3x the reference is %.1f sagas/s: %.2f of the floor'"'"'s %.1f\n", 3 * py, 3 * py / floor, floor
    }
' "$OUT/figures.txt"

