#!/usr/bin/env bash
# Lints the Docker Compose deployment without a Docker engine:
#   - `docker-compose config -q` (Debian 12's docker-compose 1.29, installed if missing) on
#     compose/docker-compose.yml, with the defaults and with scaled-out settings;
#   - the same with the `docker compose` plugin (v2) when it exists;
#   - every service has a healthcheck, the six services are wired consistently, and
#     compose/Dockerfile exists.
# Any error or warning fails the script; success prints one line. Works from any directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
COMPOSE=compose/docker-compose.yml

die() { printf '[lint_compose] error: %s\n' "$*" >&2; exit 1; }

if ! command -v docker-compose >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || die "docker-compose is missing and not root to install it (apt-get install docker-compose)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq docker-compose >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null; } ||
        die "could not install docker-compose"
fi

[ -f compose/Dockerfile ] || die "compose/Dockerfile is missing"

# Runs `<compose command> config -q` with extra environment; fails on a non-zero exit and on any
# output (config -q prints nothing when the file is valid; warnings such as an unset variable
# would otherwise pass unnoticed).
check_config() {
    local label=$1
    shift
    local output
    if ! output=$("$@" 2>&1); then
        printf '%s\n' "$output" >&2
        die "$label: config failed"
    fi
    if [ -n "$output" ]; then
        printf '%s\n' "$output" >&2
        die "$label: config printed warnings"
    fi
}

# The variables the file reads are cleared, so a caller's environment (or a compose/.env) does
# not decide the result: first with the defaults, then scaled out as README.md describes.
VARS=(COMPOSE_PROJECT_NAME POSTGRES_PASSWORD LOG_LEVEL FABRIKAM_TAG DRONE_TIME_SCALE
    ACCOUNT_REPLICAS PACKAGE_REPLICAS DRONE_REPLICAS DELIVERY_REPLICAS HISTORY_REPLICAS
    INGESTION_HOST_PORT HISTORY_HOST_PORT AMQP_HOST_PORT RABBITMQ_UI_HOST_PORT POSTGRES_HOST_PORT)
UNSET=()
for var in "${VARS[@]}"; do UNSET+=(-u "$var"); done
SCALED=(ACCOUNT_REPLICAS=3 PACKAGE_REPLICAS=2 DRONE_REPLICAS=2 DELIVERY_REPLICAS=2
    HISTORY_REPLICAS=2 HISTORY_HOST_PORT=8086-8089 POSTGRES_PASSWORD=secret)
# An empty env file stands in for compose/.env.
EMPTY_ENV=$(mktemp)
trap 'rm -f "$EMPTY_ENV"' EXIT

checked="docker-compose $(docker-compose version --short)"
check_config "docker-compose" env "${UNSET[@]}" \
    docker-compose --env-file "$EMPTY_ENV" -f "$COMPOSE" config -q
check_config "docker-compose (scaled)" env "${UNSET[@]}" "${SCALED[@]}" \
    docker-compose --env-file "$EMPTY_ENV" -f "$COMPOSE" config -q

if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    checked+=", docker compose $(docker compose version --short)"
    check_config "docker compose" env "${UNSET[@]}" \
        docker compose --env-file "$EMPTY_ENV" -f "$COMPOSE" config -q
    check_config "docker compose (scaled)" env "${UNSET[@]}" "${SCALED[@]}" \
        docker compose --env-file "$EMPTY_ENV" -f "$COMPOSE" config -q
fi

# Structure: PyYAML resolves the anchors and merge keys the way Compose does.
python3 - "$COMPOSE" <<'PY'
import sys, yaml

path = sys.argv[1]
with open(path) as f:
    services = yaml.safe_load(f)["services"]
# The six services, their HTTP ports (fabrikam-service's defaults) and whether they scale.
expected = {"ingestion": 8080, "account": 8081, "package": 8082, "drone": 8083, "delivery": 8084, "history": 8086}
errors = []
for name, service in services.items():
    if not service.get("healthcheck", {}).get("test"):
        errors.append(f"{name}: no healthcheck")
for name, port in expected.items():
    service = services.get(name)
    if service is None:
        errors.append(f"{name}: missing")
        continue
    env = service.get("environment", {})
    if service.get("command") != [name]:
        errors.append(f"{name}: command is {service.get('command')!r}, not [{name!r}]")
    if str(env.get("HTTP_PORT")) != str(port):
        errors.append(f"{name}: HTTP_PORT is {env.get('HTTP_PORT')!r}, not {port}")
    if not str(env.get("DATABASE_URL", "")).startswith(f"postgresql://{name}:{name}@postgres:5432/"):
        errors.append(f"{name}: DATABASE_URL does not use its own role {name!r}")
    for key in ("AMQP_URL", "DATABASE_ADMIN_URL", "QUEUE_TYPE", "HTTP_HOST"):
        if key not in env:
            errors.append(f"{name}: {key} is not set")
    conditions = {dep: spec.get("condition") for dep, spec in (service.get("depends_on") or {}).items()}
    if conditions != {"rabbitmq": "service_healthy", "postgres": "service_healthy"}:
        errors.append(f"{name}: depends_on is {conditions!r}")
    if name not in ("ingestion",) and "replicas" not in (service.get("deploy") or {}):
        errors.append(f"{name}: no deploy.replicas")
    if name not in ("ingestion", "history") and service.get("ports"):
        errors.append(f"{name}: a scaled consumer must not publish host ports")
if errors:
    sys.exit("[lint_compose] error: " + "; ".join(errors))
PY

echo "[lint_compose] OK: $COMPOSE valid ($checked; defaults and scaled), every service has a healthcheck, compose/Dockerfile present"
