#!/usr/bin/env bash
# Runs once, when the postgres image initialises an empty data directory
# (/docker-entrypoint-initdb.d): one role and one database per service, each database owned by
# its role and closed to the others, as deploy/local/postgres.sh does on a machine without
# Docker. The services are the `<package>_db_password` secrets this container is given; each
# file holds that role's password.
# SECRETS_DIR moves the secrets directory (tests do).
set -euo pipefail
shopt -s nullglob

for file in "${SECRETS_DIR:-/run/secrets}"/*_db_password; do
    role=$(basename "$file" _db_password)
    [[ $role =~ ^[a-z][a-z0-9_]*$ ]] || { echo "postgres-init: bad role name '$role'" >&2; exit 1; }
    psql -v ON_ERROR_STOP=1 -X -q --username "$POSTGRES_USER" --dbname postgres \
        --set=role="$role" --set=password="$(cat "$file")" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role" TEMPLATE template0 ENCODING 'UTF8'
    LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8';
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
    echo "postgres-init: database and role $role"
done
