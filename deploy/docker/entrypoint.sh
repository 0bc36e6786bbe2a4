#!/bin/sh
# Entrypoint of every service image.
#
# Secrets arrive as files, never baked into the image nor written in a compose file or a
# manifest: compose `secrets:` and a Kubernetes Secret mounted at /run/secrets both give one file
# per setting, named for its variable (/run/secrets/QA_DATABASE_URL). Each becomes that
# environment variable for this process only, where the service's settings class reads it.
#
# `serve` (the image's default command) runs the service on the port the image was built for:
#   uvicorn --factory <package>.main:create_app --host 0.0.0.0 --port <port>
# Anything else is run as given, e.g. `python -m qaf_shared.migrations audit_service`.
# SECRETS_DIR moves the secrets directory (tests do).
set -eu

for secret in "${SECRETS_DIR:-/run/secrets}"/QA_*; do
    [ -f "$secret" ] || continue
    name=${secret##*/}
    case $name in
        *[!A-Z0-9_]*) continue ;; # not a variable name (an editor's backup file, say)
    esac
    value=$(cat "$secret")
    export "$name=$value"
done

if [ "$#" -eq 0 ] || [ "$1" = serve ]; then
    package=$(printf '%s' "$APP_SERVICE" | tr - _)
    set -- uvicorn --factory "$package.main:create_app" --host 0.0.0.0 --port "$APP_PORT"
fi
exec "$@"
