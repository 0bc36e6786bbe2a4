#!/usr/bin/env bash
# Local PostgreSQL on 127.0.0.1:5432 (Debian/Ubuntu: packages and clusters of postgresql-common).
#
#   deploy/local/postgres.sh start    install PostgreSQL from Debian's packages if absent, create/start the
#                                     cluster on port 5432, wait until it answers, create the per-service
#                                     roles (owner and runtime) and databases, check that each role can
#                                     log in over TCP
#   deploy/local/postgres.sh stop     stop that cluster (fast shutdown)
#   deploy/local/postgres.sh status   print up/down; exit 0 when 127.0.0.1:5432 answers, 1 otherwise
#   deploy/local/postgres.sh drop     stop and delete the cluster (never the default one, "main")
#
# Settings (environment), for a cluster of a test's own beside the developer's:
#   POSTGRES_PORT=5432        the port (and the cluster found by it)
#   POSTGRES_CLUSTER=main     the name of a cluster this script creates
#   POSTGRES_TLS_DIR=         when set, the cluster takes TLS connections only (pg_hba: hostssl,
#                             no plain host lines) with DIR/server.crt and DIR/server.key; when
#                             DIR has none, openssl makes a CA (DIR/ca.crt, what a client names
#                             as QA_DATABASE_SSLROOTCERT) and a server certificate for
#                             localhost and 127.0.0.1 signed by it
#
# Two roles and one database per service (dev only: password = role name):
#   owner    audit_service  escalation_service  feedback_service  reporting_service
#            activity_service
#            owns its database and runs its migrations; CREATEDB so that tests can create
#            throwaway databases; e.g. postgresql://audit_service:audit_service@127.0.0.1:5432/audit_service
#   runtime  audit_service_app ... activity_service_app: what the service runs as, with only
#            the row privileges the migrations grant it (no CREATEDB, owns nothing);
#            e.g. postgresql://audit_service_app:audit_service_app@127.0.0.1:5432/audit_service
# Each owner is a member of its runtime role, so that it may hand objects to it (reporting's
# projection generations made before the split). Running this on a machine with only the
# owner roles adds the runtime roles; nothing else changes.
# Data and server log are Debian's: /var/lib/postgresql/<ver>/<cluster>, /var/log/postgresql/.
# Settings this script adds: /etc/postgresql/<ver>/<cluster>/conf.d/90-local-dev.conf.
# Runs privileged steps as root (through sudo when not root).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RUN_DIR=$REPO/.run

HOST=127.0.0.1
PORT=${POSTGRES_PORT:-5432}
CLUSTER_NAME=${POSTGRES_CLUSTER:-main}
TLS_DIR=${POSTGRES_TLS_DIR:-}
SERVICES=(audit_service escalation_service feedback_service reporting_service activity_service)
START_TIMEOUT=${POSTGRES_START_TIMEOUT:-60}

# Debian's pg_* wrappers are Perl and complain loudly about locales that are not generated.
export LC_ALL=C.UTF-8 LANG=C.UTF-8

say() { echo "postgres: $*"; }
die() { echo "postgres: error: $*" >&2; exit 1; }

if [[ $EUID -eq 0 ]]; then
    SUDO=()
    as_postgres() { runuser -u postgres -- "$@"; }
else
    command -v sudo >/dev/null 2>&1 || die "not root and sudo not found: run as root"
    SUDO=(sudo)
    as_postgres() { sudo -u postgres -- "$@"; }
fi

answers() { # answers on 127.0.0.1:5432?
    local isready
    isready=$(command -v pg_isready || compgen -G '/usr/lib/postgresql/*/bin/pg_isready' | sort -V | tail -n 1) || return 1
    [[ -n $isready ]] || return 1
    "$isready" -q -h "$HOST" -p "$PORT" -t 2 >/dev/null 2>&1
}

installed_version() { # newest installed server version, e.g. 15
    local bin
    bin=$(compgen -G '/usr/lib/postgresql/*/bin/postgres' | sort -V | tail -n 1) || return 1
    [[ -n $bin ]] || return 1
    basename "$(dirname "$(dirname "$bin")")"
}

ensure_installed() {
    if installed_version >/dev/null && command -v pg_ctlcluster >/dev/null 2>&1 && command -v psql >/dev/null 2>&1; then
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and apt-get is not available"
    mkdir -p "$RUN_DIR/logs"
    local log=$RUN_DIR/logs/postgres-install.log
    say "installing PostgreSQL from Debian's packages (apt-get; log: ${log#"$REPO"/})..."
    if ! { "${SUDO[@]}" apt-get update &&
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; } >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "installing PostgreSQL failed (full output: $log)"
    fi
    installed_version >/dev/null || die "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/postgres exists"
}

# Sets VER and NAME to the cluster that owns port 5432, creating one if there is none.
find_cluster() {
    local line
    line=$(pg_lsclusters -h 2>/dev/null | awk -v p="$PORT" '$3 == p { print $1, $2; exit }')
    if [[ -n $line ]]; then
        read -r VER NAME <<<"$line"
        return 0
    fi
    VER=$(installed_version)
    NAME=$CLUSTER_NAME
    if pg_lsclusters -h 2>/dev/null | awk -v v="$VER" -v n="$NAME" '$1 == v && $2 == n { f = 1 } END { exit !f }'; then
        die "cluster $VER/$NAME exists but not on port $PORT (see pg_lsclusters); move it to $PORT or drop it"
    fi
    say "creating cluster $VER/$NAME on port $PORT"
    local start_conf=auto
    [[ $NAME == main ]] || start_conf=manual # a test's cluster does not start with the machine
    "${SUDO[@]}" pg_createcluster --start-conf="$start_conf" --port="$PORT" --locale=C.UTF-8 --encoding=UTF8 \
        "$VER" "$NAME" >/dev/null || die "pg_createcluster $VER $NAME failed"
}

# A CA and a server certificate for localhost/127.0.0.1 in TLS_DIR, unless it has one.
ensure_certificates() {
    [[ -f $TLS_DIR/server.crt && -f $TLS_DIR/server.key ]] && return 0
    if ! command -v openssl >/dev/null 2>&1; then
        command -v apt-get >/dev/null 2>&1 || die "POSTGRES_TLS_DIR needs openssl, and apt-get is not available"
        say "installing openssl from Debian's packages (apt-get)..."
        { "${SUDO[@]}" apt-get update && "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y openssl; } \
            >/dev/null 2>&1 || die "installing openssl failed"
    fi
    mkdir -p "$TLS_DIR"
    local ext
    ext=$(mktemp)
    cat >"$ext" <<'EOF'
subjectAltName = DNS:localhost, IP:127.0.0.1
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF
    {
        openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=QA local PostgreSQL CA" \
            -keyout "$TLS_DIR/ca.key" -out "$TLS_DIR/ca.crt" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" &&
            openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
                -keyout "$TLS_DIR/server.key" -out "$TLS_DIR/server.csr" &&
            openssl x509 -req -in "$TLS_DIR/server.csr" -CA "$TLS_DIR/ca.crt" -CAkey "$TLS_DIR/ca.key" \
                -CAcreateserial -days 30 -extfile "$ext" -out "$TLS_DIR/server.crt"
    } >/dev/null 2>&1 || { rm -f "$ext"; die "openssl could not make the certificates in $TLS_DIR"; }
    rm -f "$ext" "$TLS_DIR/server.csr"
    say "made a CA ($TLS_DIR/ca.crt) and a server certificate for localhost, 127.0.0.1"
}

# The server's certificate and key where the cluster reads them, and pg_hba taking TLS only.
write_tls() {
    local etc=/etc/postgresql/$VER/$NAME
    "${SUDO[@]}" install -o postgres -g postgres -m 0644 "$TLS_DIR/server.crt" "$etc/server.crt"
    "${SUDO[@]}" install -o postgres -g postgres -m 0600 "$TLS_DIR/server.key" "$etc/server.key"
    local tmp
    tmp=$(mktemp)
    cat >"$tmp" <<'EOF'
# Written by deploy/local/postgres.sh (POSTGRES_TLS_DIR): TCP connections over TLS only.
local   all all                peer
hostssl all all 127.0.0.1/32   scram-sha-256
hostssl all all ::1/128        scram-sha-256
EOF
    "${SUDO[@]}" install -o postgres -g postgres -m 0640 "$tmp" "$etc/pg_hba.conf"
    rm -f "$tmp"
}

cluster_online() {
    pg_lsclusters -h 2>/dev/null | awk -v v="$VER" -v n="$NAME" '$1 == v && $2 == n && $4 ~ /^online/ { f = 1 } END { exit !f }'
}

# Small-box, test-friendly settings; returns 0 when the file changed (a restart is needed).
write_settings() {
    local conf=/etc/postgresql/$VER/$NAME/conf.d/90-local-dev.conf tmp
    tmp=$(mktemp)
    cat >"$tmp" <<'EOF'
# Written by deploy/local/postgres.sh for local development; it is rewritten on each start.
listen_addresses = 'localhost'
# four services (pools + relays + consumer) and their test suites
max_connections = 200
shared_buffers = 256MB
password_encryption = 'scram-sha-256'
EOF
    if [[ -n $TLS_DIR ]]; then
        cat >>"$tmp" <<EOF
ssl = on
ssl_cert_file = '/etc/postgresql/$VER/$NAME/server.crt'
ssl_key_file = '/etc/postgresql/$VER/$NAME/server.key'
ssl_ca_file = ''
EOF
    fi
    if "${SUDO[@]}" test -f "$conf" && "${SUDO[@]}" cmp -s "$tmp" "$conf"; then
        rm -f "$tmp"
        return 1
    fi
    "${SUDO[@]}" install -D -m 0644 "$tmp" "$conf"
    rm -f "$tmp"
    return 0
}

wait_until_answers() {
    local start=$SECONDS
    until answers; do
        if ((SECONDS - start >= START_TIMEOUT)); then
            "${SUDO[@]}" tail -n 20 "/var/log/postgresql/postgresql-$VER-$NAME.log" >&2 2>/dev/null || true
            die "PostgreSQL $VER/$NAME does not answer on $HOST:$PORT after ${START_TIMEOUT} s (log: /var/log/postgresql/postgresql-$VER-$NAME.log)"
        fi
        sleep 0.5
    done
}

psql_admin() { # runs SQL from stdin as the postgres superuser over the local socket
    as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres
}

ensure_roles_and_databases() {
    local svc sql=""
    for svc in "${SERVICES[@]}"; do
        # names are fixed identifiers ([a-z_]), so plain quoting is safe here
        sql+="
SELECT 'CREATE ROLE $svc' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$svc')
\\gexec
ALTER ROLE $svc WITH LOGIN CREATEDB PASSWORD '$svc';
SELECT 'CREATE DATABASE $svc OWNER $svc TEMPLATE template0 ENCODING ''UTF8'' LC_COLLATE ''C.UTF-8'' LC_CTYPE ''C.UTF-8'''
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$svc')
\\gexec
ALTER DATABASE $svc OWNER TO $svc;
SELECT 'CREATE ROLE ${svc}_app' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${svc}_app')
\\gexec
ALTER ROLE ${svc}_app WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD '${svc}_app';
SELECT 'GRANT ${svc}_app TO $svc'
 WHERE NOT pg_has_role('$svc', '${svc}_app', 'MEMBER')
\\gexec
"
    done
    local out
    out=$(psql_admin <<<"$sql" 2>&1) || { echo "$out" >&2; die "creating roles and databases failed"; }
}

check_logins() {
    local svc out
    for svc in "${SERVICES[@]}" "${SERVICES[@]/%/_app}"; do
        # the runtime role logs in to its service's database (the owner's name)
        if ! out=$(PGPASSWORD=$svc PGCONNECT_TIMEOUT=5 psql -X -q -At -w -h "$HOST" -p "$PORT" -U "$svc" \
                -d "${svc%_app}" -c 'select 1' 2>&1) || [[ $out != 1 ]]; then
            echo "$out" >&2
            die "role $svc cannot log in with its password over TCP to $HOST:$PORT; check pg_hba.conf of cluster $VER/$NAME (needs 'host all all 127.0.0.1/32 scram-sha-256')"
        fi
    done
}

cmd_start() {
    local was_up=0
    answers && was_up=1
    ensure_installed
    find_cluster
    if [[ -n $TLS_DIR ]]; then
        ensure_certificates
        write_tls
    fi
    if write_settings && cluster_online; then
        say "settings changed: restarting cluster $VER/$NAME"
        "${SUDO[@]}" pg_ctlcluster "$VER" "$NAME" restart -m fast || die "pg_ctlcluster $VER $NAME restart failed"
        was_up=0
    fi
    if ! answers; then
        if ! cluster_online; then
            "${SUDO[@]}" pg_ctlcluster "$VER" "$NAME" start ||
                die "pg_ctlcluster $VER $NAME start failed (log: /var/log/postgresql/postgresql-$VER-$NAME.log)"
        fi
        wait_until_answers
    fi
    ensure_roles_and_databases
    check_logins
    if ((was_up)); then
        say "already running on $HOST:$PORT (cluster $VER/$NAME); roles and databases in place"
    else
        say "up on $HOST:$PORT (cluster $VER/$NAME); databases: ${SERVICES[*]}"
    fi
}

cmd_stop() {
    if ! command -v pg_lsclusters >/dev/null 2>&1 || ! installed_version >/dev/null; then
        say "not running (PostgreSQL is not installed)"
        return 0
    fi
    local line
    line=$(pg_lsclusters -h 2>/dev/null | awk -v p="$PORT" '$3 == p { print $1, $2; exit }')
    if [[ -z $line ]]; then
        answers && die "something answers on $HOST:$PORT but no Debian cluster is configured on that port; not stopping it"
        say "not running"
        return 0
    fi
    read -r VER NAME <<<"$line"
    if ! cluster_online; then
        answers && die "something answers on $HOST:$PORT but cluster $VER/$NAME is down; not stopping it"
        say "not running"
        return 0
    fi
    "${SUDO[@]}" pg_ctlcluster "$VER" "$NAME" stop -m fast || die "pg_ctlcluster $VER $NAME stop failed"
    say "stopped"
}

cmd_drop() {
    [[ $CLUSTER_NAME != main ]] || die "refusing to drop the default cluster (set POSTGRES_CLUSTER)"
    command -v pg_lsclusters >/dev/null 2>&1 || { say "not installed"; return 0; }
    local line
    line=$(pg_lsclusters -h 2>/dev/null | awk -v n="$CLUSTER_NAME" '$2 == n { print $1; exit }')
    [[ -n $line ]] || { say "no cluster $CLUSTER_NAME"; return 0; }
    "${SUDO[@]}" pg_dropcluster --stop "$line" "$CLUSTER_NAME" || die "pg_dropcluster $line $CLUSTER_NAME failed"
    say "dropped cluster $line/$CLUSTER_NAME"
}

cmd_status() {
    if answers; then
        say "up on $HOST:$PORT"
        return 0
    fi
    say "down"
    return 1
}

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    drop) cmd_drop ;;
    *) echo "usage: $0 start|stop|status|drop" >&2; exit 2 ;;
esac
