#!/usr/bin/env bash
# Runs once, when the postgres image initialises an empty data directory
# (/docker-entrypoint-initdb.d): per service, as deploy/local/postgres.sh does on a machine
# without Docker,
#   - the owner role <package>, owning database <package>, which is closed to every other role;
#     the migration job runs as it;
#   - the runtime role <package>_app, which the service runs as: it owns nothing, and the
#     migrations grant it CONNECT and its row privileges (qaf_shared/runtime_role.py). The
#     owner is a member of it, so that it may hand objects to it.
# The services are the `<package>_db_password` secrets this container is given (each file holds
# that owner's password); `<package>_app_db_password` holds the runtime role's.
# SECRETS_DIR moves the secrets directory (tests do).
set -euo pipefail
shopt -s nullglob

dir=${SECRETS_DIR:-/run/secrets}
for file in "$dir"/*_db_password; do
    role=$(basename "$file" _db_password)
    [[ $role == *_app ]] && continue # a runtime role: made with its owner
    [[ $role =~ ^[a-z][a-z0-9_]*$ ]] || { echo "postgres-init: bad role name '$role'" >&2; exit 1; }
    runtime=${role}_app
    [[ -s $dir/${runtime}_db_password ]] ||
        { echo "postgres-init: no ${runtime}_db_password for the runtime role of $role" >&2; exit 1; }
    psql -v ON_ERROR_STOP=1 -X -q --username "$POSTGRES_USER" --dbname postgres \
        --set=role="$role" --set=password="$(cat "$file")" \
        --set=runtime="$runtime" --set=runtime_password="$(cat "$dir/${runtime}_db_password")" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role" TEMPLATE template0 ENCODING 'UTF8'
    LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8';
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
CREATE ROLE :"runtime" LOGIN PASSWORD :'runtime_password';
GRANT :"runtime" TO :"role";
SQL
    echo "postgres-init: database $role, owner role $role, runtime role $runtime"
done
