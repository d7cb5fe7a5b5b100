#!/usr/bin/env bash
# Run by the postgres image's entrypoint when it creates the database (an empty postgres-data
# volume), as the postgres user, against the temporary server on the container's Unix socket.
# Gives the read-only role saga_inspect a login and its password from the Docker secret
# db-saga_inspect (SAGA_INSPECT_PASSWORD_FILE). The services' setup grants it read access to each
# schema; it would otherwise create it without a login. The entrypoint may source this file
# rather than execute it, so it sets no shell options and ends with `exit` only on an error.

inspector_password_file=${SAGA_INSPECT_PASSWORD_FILE:-/run/secrets/db-saga_inspect}
if [ ! -s "$inspector_password_file" ]; then
    echo "10-saga-inspect.sh: $inspector_password_file is missing or empty (run compose/make-secrets.sh)" >&2
    exit 1
fi

psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v inspector_password="$(tr -d '\r\n' < "$inspector_password_file")" >/dev/null <<'SQL' || exit 1
SET password_encryption = 'scram-sha-256';
CREATE ROLE saga_inspect LOGIN PASSWORD :'inspector_password';
SQL
echo "10-saga-inspect.sh: role saga_inspect created with a login"
