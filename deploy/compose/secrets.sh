#!/usr/bin/env bash
# Writes, once, what docker-compose.yml mounts and git must never hold:
#
#   .run/compose/secrets/postgres_password          the PostgreSQL superuser's password
#   .run/compose/secrets/<package>_db_password      each service's owner role's password (postgres-init.sh)
#   .run/compose/secrets/<package>_database_url     the owner's URL: QA_DATABASE_URL of its migration job
#   .run/compose/secrets/<package>_app_db_password  each service's runtime role's password
#   .run/compose/secrets/<package>_app_database_url the runtime role's URL: the service's QA_DATABASE_URL
#   .run/compose/secrets/activity_service_child_key_secret
#                                                   activity-service's child_key secret (32 random
#                                                   bytes as hex; keep it as long as the data)
#   .run/dev-keys/jwks.json                         the development JWKS (`make keys`), so that
#                                                   `make token` signs tokens the services accept
#
# Passwords are random. Files that exist are kept, so running it again changes nothing; the
# database volume remembers the passwords it was created with, so after deleting these files
# also remove the volume (`docker compose down -v`).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=$REPO/.run/compose/secrets

umask 077
mkdir -p "$DIR"
chmod 700 "$DIR"

random() { od -An -tx1 -N"${1:-24}" /dev/urandom | tr -d ' \n'; }

put() { # name value: writes the file unless it exists
    [[ -s $DIR/$1 ]] && return 0
    printf '%s' "$2" >"$DIR/$1.tmp"
    # Readable by the containers' own users (not root); the directory keeps others on this
    # machine out.
    chmod 644 "$DIR/$1.tmp"
    mv "$DIR/$1.tmp" "$DIR/$1"
}

put postgres_password "$(random)"
for dir in "$REPO"/services/*/; do
    service=$(basename "$dir")
    package=${service//-/_}
    put "${package}_db_password" "$(random)"
    put "${package}_database_url" \
        "postgresql://$package:$(cat "$DIR/${package}_db_password")@postgres:5432/$package"
    put "${package}_app_db_password" "$(random)"
    put "${package}_app_database_url" \
        "postgresql://${package}_app:$(cat "$DIR/${package}_app_db_password")@postgres:5432/$package"
done
put activity_service_child_key_secret "$(random 32)"

make -C "$REPO" -s keys
echo "compose secrets in ${DIR#"$REPO"/}/, JWKS in .run/dev-keys/: now \`docker compose up --wait\`"
