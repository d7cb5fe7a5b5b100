#!/usr/bin/env bash
# Runs the system: installs what is missing, starts the private RabbitMQ and PostgreSQL, and
# prints their URLs. (Later: builds, migrates and starts every service.)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
eval "$(scripts/servers.sh start)"
cat <<MSG

Fabrikam Drone Delivery — local servers are up.
  RabbitMQ (AMQP 0-9-1): $AMQP_URL
  PostgreSQL:            $DATABASE_URL
Stop them with: scripts/servers.sh stop
MSG
