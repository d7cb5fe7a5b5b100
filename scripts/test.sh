#!/usr/bin/env bash
# Runs every test: starts (or reuses) the private RabbitMQ and PostgreSQL, installs the Python
# cross-check tools if missing, lints the Docker Compose file, builds with warnings as errors,
# and runs the Swift test suites in two phases: everything but the end-to-end and chaos tests in
# parallel, then those one at a time (the end-to-end tests run all six services as processes;
# the chaos tests restart the broker and the database, or need seconds of real idleness; the
# schedule campaign runs 200 adversarial schedules against the six services behind an interposer;
# the explorer's browser test drives headless Chromium against `saga-explorer`).
# Extra arguments go to the first `swift test` and skip the lint and the second phase.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export PATH="/opt/swift/usr/bin:$PATH"

# Servers: a failure to start is a test failure.
eval "$(scripts/servers.sh start)"
export AMQP_URL DATABASE_URL

# Python tools for cross-checks from outside Swift.
if ! python3 -c 'import jsonschema, yaml' 2>/dev/null; then
    echo "[test] installing jsonschema and pyyaml from PyPI" >&2
    python3 -m pip install --quiet jsonschema pyyaml
fi

# Headless Chromium and its WebDriver for the saga explorer's browser test (phase 2).
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    echo "[test] installing chromium and chromium-driver from Debian" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if [ $# -eq 0 ]; then
    scripts/lint_compose.sh
fi
swift build --build-tests
swift test --skip ChaosTests --skip EndToEndTests --skip ScheduleCampaignTests --skip ExplorerBrowserTests "$@"
if [ $# -eq 0 ]; then
    FABRIKAM_CHAOS=1 swift test --no-parallel --filter "EndToEndTests|ChaosTests|ScheduleCampaignTests|ExplorerBrowserTests"
fi
