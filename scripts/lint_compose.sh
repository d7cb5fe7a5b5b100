#!/usr/bin/env bash
# Lints the Docker Compose deployment without a Docker engine:
#   - `docker-compose config -q` (Debian 12's docker-compose 1.29, installed if missing) on
#     compose/docker-compose.yml, with the defaults and with scaled-out settings;
#   - the same with the `docker compose` plugin (v2) when it exists;
#   - every service has a healthcheck, the six services are wired consistently, and
#     compose/Dockerfile exists;
#   - the dashboards: compose/prometheus/prometheus.yml parses and scrapes each of the six
#     services (Docker DNS, type A, its port), the Grafana provisioning files exist, the dashboard
#     JSON parses and every metric it queries is one the Swift sources define, the UIs are
#     published on 127.0.0.1 only and GRAFANA_ADMIN_PASSWORD has no default (the config checks run
#     with a throwaway value, and once without it, which must fail); `promtool check config` too
#     when promtool is installed.
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
PROMETHEUS_CONFIG=compose/prometheus/prometheus.yml
GRAFANA_DATASOURCES=compose/grafana/provisioning/datasources/prometheus.yml
GRAFANA_PROVIDERS=compose/grafana/provisioning/dashboards/fabrikam.yml
GRAFANA_DASHBOARD_DIR=compose/grafana/dashboards
for file in "$PROMETHEUS_CONFIG" "$GRAFANA_DATASOURCES" "$GRAFANA_PROVIDERS"; do
    [ -f "$file" ] || die "$file is missing"
done
compgen -G "$GRAFANA_DASHBOARD_DIR/*.json" >/dev/null || die "no dashboard JSON in $GRAFANA_DASHBOARD_DIR"

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
    INGESTION_HOST_PORT HISTORY_HOST_PORT AMQP_HOST_PORT RABBITMQ_UI_HOST_PORT POSTGRES_HOST_PORT
    GRAFANA_ADMIN_PASSWORD GRAFANA_ADMIN_USER PROMETHEUS_HOST_PORT GRAFANA_HOST_PORT PROMETHEUS_RETENTION)
UNSET=()
for var in "${VARS[@]}"; do UNSET+=(-u "$var"); done
SCALED=(ACCOUNT_REPLICAS=3 PACKAGE_REPLICAS=2 DRONE_REPLICAS=2 DELIVERY_REPLICAS=2
    HISTORY_REPLICAS=2 HISTORY_HOST_PORT=8086-8089 POSTGRES_PASSWORD=secret)
# Variables without a default (${VAR:?...}) get a throwaway value, made up for this run.
REQUIRED=(GRAFANA_ADMIN_PASSWORD="lint-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')")
# An empty env file stands in for compose/.env.
EMPTY_ENV=$(mktemp)
trap 'rm -f "$EMPTY_ENV"' EXIT

# Without the required variables the file must be refused (a default would have crept in).
if env "${UNSET[@]}" docker-compose --env-file "$EMPTY_ENV" -f "$COMPOSE" config -q >/dev/null 2>&1; then
    die "$COMPOSE is valid without GRAFANA_ADMIN_PASSWORD: the Grafana admin password must have no default"
fi

checked="docker-compose $(docker-compose version --short)"
check_config "docker-compose" env "${UNSET[@]}" "${REQUIRED[@]}" \
    docker-compose --env-file "$EMPTY_ENV" -f "$COMPOSE" config -q
check_config "docker-compose (scaled)" env "${UNSET[@]}" "${REQUIRED[@]}" "${SCALED[@]}" \
    docker-compose --env-file "$EMPTY_ENV" -f "$COMPOSE" config -q

if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    checked+=", docker compose $(docker compose version --short)"
    check_config "docker compose" env "${UNSET[@]}" "${REQUIRED[@]}" \
        docker compose --env-file "$EMPTY_ENV" -f "$COMPOSE" config -q
    check_config "docker compose (scaled)" env "${UNSET[@]}" "${REQUIRED[@]}" "${SCALED[@]}" \
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

# Dashboards: Prometheus scrapes the six services; Grafana's provisioning and dashboard hold
# together and chart only metrics the Swift sources define.
python3 - "$COMPOSE" "$PROMETHEUS_CONFIG" "$GRAFANA_DATASOURCES" "$GRAFANA_PROVIDERS" "$GRAFANA_DASHBOARD_DIR" <<'PY'
import glob, json, os, re, sys, yaml

compose_path, prometheus_path, datasources_path, providers_path, dashboard_dir = sys.argv[1:]
errors = []
with open(compose_path) as f:
    services = yaml.safe_load(f)["services"]
# The six services and their HTTP ports (as in the structure check above).
expected = {"ingestion": 8080, "account": 8081, "package": 8082, "drone": 8083, "delivery": 8084, "history": 8086}

# Prometheus: one Docker-DNS (type A) scrape of each service on its port, so replicas are found.
with open(prometheus_path) as f:
    prometheus = yaml.safe_load(f)
scraped = {}
for job in prometheus.get("scrape_configs") or []:
    for sd in job.get("dns_sd_configs") or []:
        if sd.get("type") == "A":
            for name in sd.get("names") or []:
                scraped[name] = sd.get("port")
for name, port in expected.items():
    if name not in scraped:
        errors.append(f"{prometheus_path}: no dns_sd_configs (type A) scrape of {name!r}")
    elif scraped[name] != port:
        errors.append(f"{prometheus_path}: {name} scraped on port {scraped[name]}, not {port}")

# Compose: both UIs on the loopback interface only, a healthcheck each (checked above), the
# config and provisioning mounted, and no default for the Grafana admin password.
for name in ("prometheus", "grafana"):
    service = services.get(name)
    if service is None:
        errors.append(f"{compose_path}: service {name!r} missing")
        continue
    for port in service.get("ports") or []:
        if not str(port).startswith("127.0.0.1:"):
            errors.append(f"{name}: port {port!r} is not published on 127.0.0.1 only")
    if not service.get("ports"):
        errors.append(f"{name}: its UI is not published")
def mounted(service, source):
    return any(str(v).split(":")[0] == source for v in (services.get(service) or {}).get("volumes") or [])
if not mounted("prometheus", "./prometheus/prometheus.yml"):
    errors.append("prometheus: ./prometheus/prometheus.yml is not mounted")
for source in ("./grafana/provisioning", "./grafana/dashboards"):
    if not mounted("grafana", source):
        errors.append(f"grafana: {source} is not mounted")
password = str(((services.get("grafana") or {}).get("environment") or {}).get("GF_SECURITY_ADMIN_PASSWORD", ""))
if not password.startswith("${GRAFANA_ADMIN_PASSWORD:?"):
    errors.append("grafana: GF_SECURITY_ADMIN_PASSWORD must be ${GRAFANA_ADMIN_PASSWORD:?...} (required, no default)")

# Grafana provisioning: the datasource points at the prometheus service; dashboards load from the
# folder compose mounts them at.
with open(datasources_path) as f:
    datasources = yaml.safe_load(f).get("datasources") or []
uids = {d.get("uid") for d in datasources if d.get("type") == "prometheus"}
if not uids:
    errors.append(f"{datasources_path}: no prometheus datasource")
if not any(str(d.get("url", "")).startswith("http://prometheus:9090") for d in datasources):
    errors.append(f"{datasources_path}: no datasource at http://prometheus:9090")
with open(providers_path) as f:
    providers = yaml.safe_load(f).get("providers") or []
if not any((p.get("options") or {}).get("path") == "/etc/grafana/dashboards" for p in providers):
    errors.append(f"{providers_path}: no provider reading /etc/grafana/dashboards (where compose mounts the dashboards)")

# The metrics the Swift sources define: every "fabrikam_…" string literal; histograms (Timer,
# Recorder) also as Prometheus exposes them, with _bucket, _sum and _count.
defined, histograms = set(), set()
for path in glob.glob("Sources/**/*.swift", recursive=True):
    with open(path) as f:
        text = f.read()
    defined.update(re.findall(r'"(fabrikam_[a-z0-9_]+)"', text))
    histograms.update(re.findall(r'\b(?:Timer|Recorder)\(label:\s*"(fabrikam_[a-z0-9_]+)"', text))
for name in histograms:
    defined.update({name + "_bucket", name + "_sum", name + "_count"})
builtin = {"up"}  # Prometheus's own per-target series

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan"}
def metric_names(expr):
    """The metric names a PromQL expression selects (strings, matchers, ranges and groupings removed)."""
    e = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    names = set()
    for match in re.finditer(r"(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*", e):
        if e[match.end():].lstrip().startswith("(") or match.group(0).lower() in KEYWORDS:
            continue
        names.add(match.group(0))
    return names

def panels(items):
    for panel in items or []:
        yield panel
        yield from panels(panel.get("panels"))

dashboards = sorted(glob.glob(os.path.join(dashboard_dir, "*.json")))
for path in dashboards:
    try:
        with open(path) as f:
            dashboard = json.load(f)
    except ValueError as error:
        errors.append(f"{path}: not JSON ({error})")
        continue
    queried = {}
    for panel in panels(dashboard.get("panels")):
        for target in panel.get("targets") or []:
            uid = (target.get("datasource") or panel.get("datasource") or {}).get("uid")
            if uid not in uids:
                errors.append(f"{path}: panel {panel.get('title')!r} uses datasource {uid!r}, not a provisioned one {sorted(uids)}")
            expr = target.get("expr", "")
            if not expr:
                errors.append(f"{path}: panel {panel.get('title')!r} has a target without expr")
            names = metric_names(expr)
            if not names:
                errors.append(f"{path}: panel {panel.get('title')!r} queries no metric: {expr!r}")
            for name in names:
                queried.setdefault(name, panel.get("title"))
    for variable in (dashboard.get("templating") or {}).get("list") or []:
        query = variable.get("query")
        text = query.get("query", "") if isinstance(query, dict) else str(query or "")
        for name in re.findall(r"label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*,", text):
            queried.setdefault(name, f"variable {variable.get('name')}")
    for name, where in sorted(queried.items()):
        if name not in defined and name not in builtin:
            errors.append(f"{path}: {where!r} queries {name!r}, which no Swift source defines")
if errors:
    sys.exit("[lint_compose] error: " + "; ".join(errors))
print(f"[lint_compose] dashboards: {len(dashboards)} dashboard(s), every queried metric defined in Sources/")
PY

if command -v promtool >/dev/null 2>&1; then
    promtool check config --syntax-only "$PROMETHEUS_CONFIG" >/dev/null || die "promtool check config $PROMETHEUS_CONFIG failed"
fi

echo "[lint_compose] OK: $COMPOSE valid ($checked; defaults and scaled), every service has a healthcheck, compose/Dockerfile present, Prometheus scrapes the six services, Grafana provisioned"
