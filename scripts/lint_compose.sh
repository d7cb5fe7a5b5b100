#!/usr/bin/env bash
# Lints the Docker Compose deployment without a Docker engine:
#   - `docker-compose config -q` (Debian 12's docker-compose 1.29, installed if missing) on
#     compose/docker-compose.yml, with the defaults and with scaled-out settings;
#   - the same with the `docker compose` plugin (v2) when it exists;
#   - compose/make-secrets.sh, run into a throwaway folder: folder 0700, files 0444 and URL-safe,
#     a second run changes nothing, the RabbitMQ snippet names the administrator with its password;
#   - identities: the broker users and database roles it makes are those of the sources
#     (Producer.all, BrokerGrants' tool users, ServiceDatabaseRole.inspector; and the users that
#     `saga-admin broker grants` prints when a built saga-admin is in .build/), the compose file's
#     secrets are exactly those files, each of the six services uses its own role and broker user
#     (no password in any URL, each from its own *_PASSWORD_FILE secret, no other secret), only
#     the one-shot `setup` holds an administrator's URL and secret, the six start after setup
#     completes, no default broker user or PostgreSQL password anywhere under compose/;
#   - exposure: RabbitMQ and PostgreSQL publish no port, only ingestion and history publish host
#     ports (the dashboards on 127.0.0.1 only);
#   - every long-running service has a healthcheck (the one-shot setup and the run-only tools of
#     the "tools" profile are exempt), the six are wired consistently, compose/Dockerfile exists,
#     and .env.example documents exactly the variables the compose file reads;
#   - traces: a Jaeger all-in-one service with its OTLP receiver, its UI on 127.0.0.1 only, and
#     each of the six exporting to it (OTEL_EXPORTER_OTLP_ENDPOINT http://jaeger:4318, over HTTP);
#   - the dashboards: compose/prometheus/prometheus.yml parses and scrapes each of the six
#     services (Docker DNS, type A, its port), the Grafana provisioning files exist, the dashboard
#     JSON parses and every metric it queries is one the Swift sources define, the UIs are
#     published on 127.0.0.1 only and GRAFANA_ADMIN_PASSWORD has no default (the config checks run
#     with a throwaway value, and once without it, which must fail); `promtool check config` too
#     when promtool is installed.
# `config` does not read the secret files, so none need to exist. Any error or warning fails the
# script; success prints one line. Works from any directory.
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
MAKE_SECRETS=compose/make-secrets.sh
[ -x "$MAKE_SECRETS" ] || die "$MAKE_SECRETS is missing or not executable"
compgen -G "compose/postgres/*.sh" >/dev/null || die "no init script in compose/postgres/"
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
VARS=(COMPOSE_PROJECT_NAME LOG_LEVEL FABRIKAM_TAG DRONE_TIME_SCALE
    ACCOUNT_REPLICAS PACKAGE_REPLICAS DRONE_REPLICAS DELIVERY_REPLICAS HISTORY_REPLICAS
    INGESTION_HOST_PORT HISTORY_HOST_PORT
    GRAFANA_ADMIN_PASSWORD GRAFANA_ADMIN_USER PROMETHEUS_HOST_PORT GRAFANA_HOST_PORT PROMETHEUS_RETENTION
    OTEL_TRACES_EXPORTER JAEGER_HOST_PORT)
UNSET=()
for var in "${VARS[@]}"; do UNSET+=(-u "$var"); done
SCALED=(ACCOUNT_REPLICAS=3 PACKAGE_REPLICAS=2 DRONE_REPLICAS=2 DELIVERY_REPLICAS=2
    HISTORY_REPLICAS=2 HISTORY_HOST_PORT=8086-8089)
# Variables without a default (${VAR:?...}) get a throwaway value, made up for this run.
REQUIRED=(GRAFANA_ADMIN_PASSWORD="lint-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')")
# An empty env file stands in for compose/.env; make-secrets.sh runs into a throwaway folder.
EMPTY_ENV=$(mktemp)
SCRATCH=$(mktemp -d)
trap 'rm -f "$EMPTY_ENV"; rm -rf "$SCRATCH"' EXIT

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

# compose/make-secrets.sh, into a throwaway folder: what it makes, with which modes; a second
# run must change nothing.
SECRETS_DIR="$SCRATCH/secrets"
"$MAKE_SECRETS" "$SECRETS_DIR" 2>/dev/null || die "$MAKE_SECRETS failed (run it into a scratch folder to see why)"
[ "$(stat -c %a "$SECRETS_DIR")" = 700 ] || die "$MAKE_SECRETS: its folder is $(stat -c %a "$SECRETS_DIR"), not 0700"
before=$(cd "$SECRETS_DIR" && sha256sum -- *)
"$MAKE_SECRETS" "$SECRETS_DIR" 2>/dev/null || die "$MAKE_SECRETS failed on its second run"
[ "$before" = "$(cd "$SECRETS_DIR" && sha256sum -- *)" ] || die "$MAKE_SECRETS changed existing secrets on its second run"

# The broker users of a built saga-admin (the newest in .build/), if any: tests build after
# this lint runs, so without one this check is skipped and the users are compared with the
# sources only.
GRANTED_USERS="$SCRATCH/granted-users"
# shellcheck disable=SC2012  # two fixed paths, newest first
SAGA_ADMIN=$(ls -t .build/debug/saga-admin .build/release/saga-admin 2>/dev/null | head -n 1 || true)
if [ -n "$SAGA_ADMIN" ]; then
    env -u QUEUE_PREFIX -u EVENT_EXCHANGE "$SAGA_ADMIN" broker grants > "$SCRATCH/grants" ||
        die "$SAGA_ADMIN broker grants failed"
    tail -n +2 "$SCRATCH/grants" | cut -f1 > "$GRANTED_USERS"
    granted="broker users as $SAGA_ADMIN grants them"
else
    granted="no built saga-admin: broker users checked against the sources only"
fi

# Structure: PyYAML resolves the anchors and merge keys the way Compose does.
python3 - "$COMPOSE" "$SECRETS_DIR" "$GRANTED_USERS" <<'PY'
import glob, os, re, stat, sys, yaml

path, secrets_dir, granted_path = sys.argv[1:]
with open(path) as f:
    raw = f.read()
document = yaml.safe_load(raw)
services = document["services"]
errors = []

# ---- the identities the sources define ----
def source(p):
    with open(p) as f:
        return f.read()
producer = source("Sources/Contracts/Producer.swift")
raw_values = dict(re.findall(r'static let (\w+) = Producer\(rawValue: "([^"]+)"\)', producer))
listed = re.search(r"static let all: \[Producer\] = \[([^\]]*)\]", producer)
names = re.findall(r"\.(\w+)", listed.group(1)) if listed else []
six = [raw_values.get(n, n) for n in names]
if not six:
    sys.exit("[lint_compose] error: cannot read Producer.all from Sources/Contracts/Producer.swift (update this lint)")
grants = source("Sources/Choreography/BrokerGrants.swift")
tools = [re.search(r'func %s\(queuePrefix: String\) -> String \{ queuePrefix \+ "([^"]+)" \}' % f, grants) for f in ("inspectorUser", "operatorUser")]
if not all(tools):
    sys.exit("[lint_compose] error: cannot read the tools' broker users from Sources/Choreography/BrokerGrants.swift (update this lint)")
broker_users = six + [m.group(1) for m in tools]
inspector = re.search(r'static let inspector = "([^"]+)"', source("Sources/Choreography/SchemaMigrator.swift"))
if not inspector:
    sys.exit("[lint_compose] error: cannot read ServiceDatabaseRole.inspector from Sources/Choreography/SchemaMigrator.swift (update this lint)")
inspector = inspector.group(1)
database_roles = six + [inspector]

# The six services, their HTTP ports (fabrikam-service's defaults) and whether they scale.
expected = {"ingestion": 8080, "account": 8081, "package": 8082, "drone": 8083, "delivery": 8084, "history": 8086}
if sorted(expected) != sorted(six):
    errors.append(f"Producer.all is {six}, this lint knows {sorted(expected)}: update both")

# ---- what compose/make-secrets.sh made (in a scratch folder) ----
made = sorted(os.listdir(secrets_dir))
admin_files = ["postgres-admin", "rabbitmq-admin"]
conf_file = "rabbitmq-admin.conf"
wanted = sorted(admin_files + [conf_file] + [f"db-{r}" for r in database_roles] + [f"amqp-{u}" for u in broker_users])
if made != wanted:
    errors.append(f"make-secrets.sh made {sorted(set(made) - set(wanted)) or 'nothing'} more and {sorted(set(wanted) - set(made)) or 'nothing'} less than the sources' identities ask for")
made_users = sorted(f[len("amqp-"):] for f in made if f.startswith("amqp-"))
if os.path.exists(granted_path):
    with open(granted_path) as f:
        granted = sorted(line.strip() for line in f if line.strip())
    if made_users != granted:
        errors.append(f"make-secrets.sh makes broker users {made_users}, saga-admin broker grants prints {granted}")
for name in made:
    file = os.path.join(secrets_dir, name)
    mode = stat.S_IMODE(os.stat(file).st_mode)
    if mode != 0o444:
        errors.append(f"make-secrets.sh: {name} is {mode:o}, not 0444 (the containers' non-root users read it)")
    if name != conf_file:
        with open(file) as f:
            text = f.read().strip()
        if not re.fullmatch(r"[A-Za-z0-9._~-]{32,}", text):
            errors.append(f"make-secrets.sh: {name} is not a URL-safe secret of 32 characters or more")
conf = {}
if conf_file in made:
    with open(os.path.join(secrets_dir, conf_file)) as f:
        for line in f:
            if "=" in line and not line.lstrip().startswith("#"):
                key, value = line.split("=", 1)
                conf[key.strip()] = value.strip()
    with open(os.path.join(secrets_dir, "rabbitmq-admin")) as f:
        admin_password = f.read().strip()
    if conf.get("default_pass") != admin_password or not conf.get("default_user") or conf.get("default_user_tags.administrator") != "true":
        errors.append(f"make-secrets.sh: {conf_file} must set default_user, default_pass = the rabbitmq-admin secret and default_user_tags.administrator = true")
rabbitmq_admin = conf.get("default_user", "?")

# ---- the compose file's secrets are exactly those files ----
declared = document.get("secrets") or {}
for name, spec in declared.items():
    if (spec or {}).get("file") != f"./secrets/{name}":
        errors.append(f"secret {name}: file is {(spec or {}).get('file')!r}, not ./secrets/{name}")
if sorted(list(declared) + [conf_file]) != wanted:
    errors.append(f"top-level secrets (+ {conf_file}) differ from make-secrets.sh's files: {sorted(set(declared) ^ (set(wanted) - {conf_file}))}")

def secret_names(service):
    return sorted(s if isinstance(s, str) else s.get("source") for s in service.get("secrets") or [])

# ---- one-shot services: setup, and the run-only tools ----
one_shot = {"setup"} | {n for n, s in services.items() if s.get("profiles") == ["tools"]}
for name, service in services.items():
    if name in one_shot:
        if service.get("restart") != "no":
            errors.append(f"{name}: a one-shot service must have restart: \"no\"")
        if service.get("ports"):
            errors.append(f"{name}: a one-shot service publishes no ports")
    elif not service.get("healthcheck", {}).get("test"):
        errors.append(f"{name}: no healthcheck")

# ---- no administrator's URL or secret but setup's (and PostgreSQL's own password) ----
admin_keys = ("DATABASE_ADMIN_URL", "AMQP_ADMIN_URL", "DATABASE_ADMIN_PASSWORD_FILE", "AMQP_ADMIN_PASSWORD_FILE", "AMQP_MANAGEMENT_URL")
for name, service in services.items():
    env = service.get("environment") or {}
    if name != "setup":
        for key in admin_keys:
            if key in env:
                errors.append(f"{name}: has {key}; only the one-shot setup may")
        for secret in admin_files:
            if secret in secret_names(service) and not (name == "postgres" and secret == "postgres-admin"):
                errors.append(f"{name}: holds the {secret} secret; only setup may")
    for key in ("POSTGRES_PASSWORD", "RABBITMQ_DEFAULT_USER", "RABBITMQ_DEFAULT_PASS"):
        if key in env:
            errors.append(f"{name}: sets {key} (passwords come from files)")

# ---- no password in any URL: only a shell variable of a tool's wrapper ($$name, read from its secret) ----
for match in re.finditer(r"[a-z]+://[^\s/@:\"']+:([^\s@\"']+)@", raw):
    if not re.fullmatch(r"\$\$[A-Za-z_]\w*", match.group(1)):
        errors.append(f"a URL holds a password: {match.group(0)!r}")

# ---- nothing under compose/ names the broker's built-in user or a default password ----
for file in sorted(glob.glob("compose/**/*", recursive=True) + glob.glob("compose/.env*")):
    if not os.path.isfile(file) or file.startswith("compose/secrets/"):
        continue
    try:
        with open(file) as f:
            text = f.read()
    except UnicodeDecodeError:
        continue
    for pattern, what in ((r"(?i)guest", "the broker's built-in user"), (r"POSTGRES_PASSWORD(?!_FILE)\b", "POSTGRES_PASSWORD (use POSTGRES_PASSWORD_FILE)"),
                          (r"saga_inspect:saga_inspect", "a password equal to the role name")):
        if re.search(pattern, text):
            errors.append(f"{file}: mentions {what}")

# ---- exposure: only the two APIs publish host ports (the dashboards on 127.0.0.1, checked below) ----
for name, service in services.items():
    if service.get("ports") and name not in ("ingestion", "history", "prometheus", "grafana", "jaeger"):
        errors.append(f"{name}: publishes host ports {service.get('ports')!r}; only ingestion, history and the dashboards may")

# ---- the servers ----
rabbitmq = services.get("rabbitmq") or {}
if not any(re.fullmatch(rf"\./secrets/{re.escape(conf_file)}:/etc/rabbitmq/conf\.d/[\w.-]+\.conf:ro", str(v)) for v in rabbitmq.get("volumes") or []):
    errors.append(f"rabbitmq: ./secrets/{conf_file} is not mounted read-only into /etc/rabbitmq/conf.d/")
postgres = services.get("postgres") or {}
penv = postgres.get("environment") or {}
if penv.get("POSTGRES_PASSWORD_FILE") != "/run/secrets/postgres-admin" or "postgres-admin" not in secret_names(postgres):
    errors.append("postgres: POSTGRES_PASSWORD_FILE must be /run/secrets/postgres-admin, with that secret")
if "--auth-host=scram-sha-256" not in str(penv.get("POSTGRES_INITDB_ARGS", "")):
    errors.append("postgres: POSTGRES_INITDB_ARGS must hold --auth-host=scram-sha-256")
if penv.get("SAGA_INSPECT_PASSWORD_FILE") != f"/run/secrets/db-{inspector}" or f"db-{inspector}" not in secret_names(postgres):
    errors.append(f"postgres: SAGA_INSPECT_PASSWORD_FILE must be /run/secrets/db-{inspector}, with that secret")
if "./postgres:/docker-entrypoint-initdb.d:ro" not in [str(v) for v in postgres.get("volumes") or []]:
    errors.append("postgres: ./postgres is not mounted read-only on /docker-entrypoint-initdb.d")
init = "".join(source(p) for p in glob.glob("compose/postgres/*.sh"))
if "SAGA_INSPECT_PASSWORD_FILE" not in init or not re.search(rf"CREATE ROLE {inspector} LOGIN PASSWORD", init):
    errors.append(f"compose/postgres: no init script creating {inspector} with LOGIN and the password from SAGA_INSPECT_PASSWORD_FILE")

# ---- setup: the administrators' URLs (users only), each service's --setup, then the broker users ----
setup = services.get("setup")
if setup is None:
    errors.append("setup: missing")
else:
    senv = setup.get("environment") or {}
    want = {"DATABASE_ADMIN_URL": "postgresql://postgres@postgres:5432/fabrikam", "DATABASE_ADMIN_PASSWORD_FILE": "/run/secrets/postgres-admin",
            "AMQP_ADMIN_URL": f"amqp://{rabbitmq_admin}@rabbitmq:5672/%2f", "AMQP_ADMIN_PASSWORD_FILE": "/run/secrets/rabbitmq-admin", "QUEUE_TYPE": "quorum"}
    for key, value in want.items():
        if senv.get(key) != value:
            errors.append(f"setup: {key} is {senv.get(key)!r}, not {value!r}")
    if setup.get("entrypoint") != ["/bin/sh", "-c"]:
        errors.append("setup: entrypoint must be [/bin/sh, -c]")
    script = "\n".join(setup.get("command") or [])
    loop = re.search(r"for name in ([\w ]+); do", script)
    if not loop or loop.group(1).split() != six:
        errors.append(f"setup: its loop must run over the six services {six}")
    for needle in ('DATABASE_URL="postgresql://$$name@postgres:5432/fabrikam"', 'DATABASE_PASSWORD_FILE="/run/secrets/db-$$name"',
                   'fabrikam-service "$$name" --setup', "saga-admin broker setup --secrets-dir /run/secrets --queue-type quorum"):
        if needle not in script:
            errors.append(f"setup: its command lacks {needle!r}")
    if not script.lstrip().startswith("set -e"):
        errors.append("setup: its command must start with set -e (a failed step fails the setup)")
    conditions = {dep: spec.get("condition") for dep, spec in (setup.get("depends_on") or {}).items()}
    if conditions != {"rabbitmq": "service_healthy", "postgres": "service_healthy"}:
        errors.append(f"setup: depends_on is {conditions!r}")
    want_secrets = sorted(admin_files + [f"db-{s}" for s in six] + [f"amqp-{u}" for u in broker_users])
    if secret_names(setup) != want_secrets:
        errors.append(f"setup: secrets are {secret_names(setup)}, not {want_secrets}")

# ---- the six services: own identities, own secrets, after setup ----
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
    own = {"AMQP_URL": f"amqp://{name}@rabbitmq:5672/%2f", "AMQP_PASSWORD_FILE": f"/run/secrets/amqp-{name}",
           "DATABASE_URL": f"postgresql://{name}@postgres:5432/fabrikam", "DATABASE_PASSWORD_FILE": f"/run/secrets/db-{name}"}
    for key, value in own.items():
        if env.get(key) != value:
            errors.append(f"{name}: {key} is {env.get(key)!r}, not {value!r} (its own identity, no password in the URL)")
    if secret_names(service) != sorted([f"amqp-{name}", f"db-{name}"]):
        errors.append(f"{name}: secrets are {secret_names(service)}, not only its own amqp-{name} and db-{name}")
    for key in ("QUEUE_TYPE", "HTTP_HOST"):
        if key not in env:
            errors.append(f"{name}: {key} is not set")
    conditions = {dep: spec.get("condition") for dep, spec in (service.get("depends_on") or {}).items()}
    if conditions != {"rabbitmq": "service_healthy", "postgres": "service_healthy", "setup": "service_completed_successfully"}:
        errors.append(f"{name}: depends_on is {conditions!r}, not rabbitmq and postgres healthy and setup completed successfully")
    if name not in ("ingestion",) and "replicas" not in (service.get("deploy") or {}):
        errors.append(f"{name}: no deploy.replicas")
    if name in ("ingestion", "history") and not service.get("ports"):
        errors.append(f"{name}: its API is not published")

# ---- the tools: their own identities only ----
tool_secrets = {"saga-inspect": sorted([f"amqp-{broker_users[-2]}", f"db-{inspector}"]), "saga-admin": [f"amqp-{broker_users[-1]}"]}
for name, want_secrets in tool_secrets.items():
    service = services.get(name)
    if service is None or name not in one_shot:
        errors.append(f"{name}: missing, or not a run-only tool (profiles: [tools])")
    elif secret_names(service) != want_secrets:
        errors.append(f"{name}: secrets are {secret_names(service)}, not {want_secrets}")
    else:
        # Each secret is read: by its entrypoint's wrapper, or through a *_PASSWORD_FILE key.
        reads = "\n".join(list(service.get("entrypoint") or []) + [str(v) for v in (service.get("environment") or {}).values()])
        for secret in want_secrets:
            if f"/run/secrets/{secret}" not in reads:
                errors.append(f"{name}: neither its entrypoint nor its environment reads /run/secrets/{secret}")

# ---- .env.example documents exactly the variables the compose file reads ----
uncommented = "\n".join(line for line in raw.splitlines() if not line.lstrip().startswith("#"))
read = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", uncommented))
with open("compose/.env.example") as f:
    documented = set(re.findall(r"^#?([A-Z_][A-Z0-9_]*)=", f.read(), re.M)) - {"COMPOSE_PROJECT_NAME"}
if read != documented:
    errors.append(f"compose/.env.example: documents {sorted(documented - read) or 'nothing'} that the compose file does not read, lacks {sorted(read - documented) or 'nothing'}")

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

# Compose: the UIs on the loopback interface only, a healthcheck each (checked above), the
# config and provisioning mounted, and no default for the Grafana admin password.
for name in ("prometheus", "grafana", "jaeger"):
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
# Jaeger: the all-in-one image with its OTLP receiver on, which no host port exposes; each of the
# six exports its traces to it over OTLP/HTTP (on unless OTEL_TRACES_EXPORTER says none).
jaeger = services.get("jaeger") or {}
if not str(jaeger.get("image", "")).startswith("jaegertracing/all-in-one:"):
    errors.append("jaeger: the image must be jaegertracing/all-in-one")
if str((jaeger.get("environment") or {}).get("COLLECTOR_OTLP_ENABLED")).lower() != "true":
    errors.append("jaeger: COLLECTOR_OTLP_ENABLED must be true (the OTLP receiver)")
for port in jaeger.get("ports") or []:
    if str(port).split(":")[-1] != "16686":
        errors.append(f"jaeger: publishes {port!r}; only its UI (16686) may be published")
for name in expected:
    env = (services.get(name) or {}).get("environment") or {}
    if env.get("OTEL_EXPORTER_OTLP_ENDPOINT") != "http://jaeger:4318":
        errors.append(f"{name}: OTEL_EXPORTER_OTLP_ENDPOINT is {env.get('OTEL_EXPORTER_OTLP_ENDPOINT')!r}, not 'http://jaeger:4318'")
    if env.get("OTEL_EXPORTER_OTLP_PROTOCOL") not in ("http/protobuf", "http/json"):
        errors.append(f"{name}: OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (the services export over HTTP only)")
    if "OTEL_TRACES_EXPORTER" not in env:
        errors.append(f"{name}: OTEL_TRACES_EXPORTER is not set")
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

echo "[lint_compose] OK: $COMPOSE valid ($checked; defaults and scaled), make-secrets.sh and the compose secrets match the sources' identities ($granted), each service only its own role and broker user, administrators only in setup, no server port published, every long-running service has a healthcheck, compose/Dockerfile present, Prometheus scrapes the six services, Grafana provisioned"
