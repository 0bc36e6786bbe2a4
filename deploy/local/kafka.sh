#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, broker+controller) on 127.0.0.1:9092.
# With KAFKA_SECURITY=sasl_ssl, a SASL_SSL listener instead, with a SCRAM user per service and
# ACLs (see "Security" below and deploy/local/README.md).
#
#   deploy/local/kafka.sh start    fetch jars (first run), format storage (first run), start, wait until it answers
#   deploy/local/kafka.sh stop     stop the broker this checkout started (SIGTERM, SIGKILL after 30 s)
#   deploy/local/kafka.sh status   print up/down; exit 0 when the broker answers, 1 otherwise
#   deploy/local/kafka.sh topics ARGS...
#                                  run TopicCommand against 127.0.0.1:9092, e.g.
#                                  topics --create --topic t --partitions 6 --config retention.ms=-1
#   deploy/local/kafka.sh env USER
#                                  print the QA_KAFKA_* settings (as shell assignments) with which
#                                  USER (admin or a service: audit-service, ...) reaches the broker
#
# Everything generated lives under <repo>/.run/: kafka/libs (jars), kafka/data (KRaft storage),
# kafka/server.properties (effective config), logs/kafka.log, pids/kafka.pid.
# Needs java (17+) and, for the first run, mvn with access to Maven Central.
# Environment: KAFKA_HEAP_OPTS (default "-Xms256m -Xmx512m"), KAFKA_START_TIMEOUT (seconds, default 90),
# KAFKA_SECURITY (plaintext, the default, or sasl_ssl), KAFKA_PORT and KAFKA_CONTROLLER_PORT
# (default 9092 and 9093), KAFKA_NAME (default kafka, or kafka-sasl_ssl with KAFKA_SECURITY=sasl_ssl:
# the name of the state directory .run/NAME, the log and the pid file, so that a private broker,
# e.g. a test's on other ports, lives beside the development one).
#
# Security (KAFKA_SECURITY=sasl_ssl), everything made on the first start under .run/NAME/:
# - tls/: a CA and the broker's certificate for 127.0.0.1 and localhost (openssl);
# - users/USER.username and USER.password: SCRAM-SHA-512 users admin (a super user: topics, ACLs)
#   and one per service, made when the storage is formatted (StorageTool --add-scram);
# - ACLs (StandardAuthorizer, nothing allowed without one): each write service may write and
#   describe its own topic only; reporting-service may read the four domain topics with consumer
#   groups named reporting-service*, and write the dead-letter topic.
# Clients reach the SASL_SSL listener; the controller listener takes the broker's own certificate
# only (mutual TLS), so nothing on it is anonymous.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RUN_DIR=$REPO/.run
SECURITY=${KAFKA_SECURITY:-plaintext}
case $SECURITY in
    plaintext) NAME=${KAFKA_NAME:-kafka} ;;
    sasl_ssl) NAME=${KAFKA_NAME:-kafka-sasl_ssl} ;;
    *) echo "kafka: error: KAFKA_SECURITY is plaintext or sasl_ssl, not '$SECURITY'" >&2; exit 2 ;;
esac
[[ $NAME =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "kafka: error: KAFKA_NAME '$NAME' is not a plain name" >&2; exit 2; }
# The jars are shared by every instance; the rest is the instance's own.
LIBS=$RUN_DIR/kafka/libs
LIBS_STAMP=$RUN_DIR/kafka/libs.pom.sha256
KAFKA_DIR=$RUN_DIR/$NAME
DATA=$KAFKA_DIR/data
PROPS=$KAFKA_DIR/server.properties
TOOLS_PROPS=$KAFKA_DIR/tools.properties
TLS=$KAFKA_DIR/tls
USERS=$KAFKA_DIR/users
LOG=$RUN_DIR/logs/$NAME.log
PID_FILE=$RUN_DIR/pids/$NAME.pid
POM=$HERE/kafka/pom.xml
PROPS_TEMPLATE=$HERE/kafka/server.properties
SASL_SSL_TEMPLATE=$HERE/kafka/server-sasl_ssl.properties
LOG4J=$HERE/kafka/log4j2.properties
TOOLS_LOG4J=$HERE/kafka/tools-log4j2.properties

HOST=127.0.0.1
PORT=${KAFKA_PORT:-9092}
CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
BOOTSTRAP=$HOST:$PORT
# The SCRAM users: admin (super user) and each service, which the ACLs below name.
WRITE_SERVICES=(audit-service:qa.audit.events.v1 escalation-service:qa.escalation.events.v1
    feedback-service:qa.feedback.events.v1 activity-service:qa.activity.events.v1)
USER_NAMES=(admin audit-service escalation-service feedback-service activity-service reporting-service)
read -r -a HEAP_OPTS <<<"${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
STOP_TIMEOUT=30

say() { echo "kafka: $*"; }
die() { echo "kafka: error: $*" >&2; exit 1; }

log_tail() {
    if [[ -s $LOG ]]; then
        echo "--- last lines of $LOG ---" >&2
        tail -n "${1:-30}" "$LOG" >&2
        echo "---" >&2
    fi
}

need_java() {
    command -v java >/dev/null 2>&1 || die "java not found (Kafka 4.1 needs Java 17+; on Debian: apt-get install openjdk-17-jre-headless)"
}

# --- is it running? (a dead child can linger as a zombie here, so never trust kill -0 alone) ---

# pid of the broker this checkout started, if that process is alive (not a zombie) and is kafka.Kafka
broker_pid() {
    local pid state
    [[ -r $PID_FILE ]] || return 1
    pid=$(<"$PID_FILE")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/stat ]] || return 1
    state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [[ -n $state && $state != Z && $state != X ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
    echo "$pid"
}

port_open() { # host port
    # shellcheck disable=SC2016  # $0/$1 expand in the inner shell
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# size=31 | api_key=18 (ApiVersions) version=3 correlation_id=42
# client_id="kafka.sh" | no tags | client_software_name="kafka.sh" version="1" | no tags
API_VERSIONS='\x00\x00\x00\x1f\x00\x12\x00\x03\x00\x00\x00\x2a\x00\x08kafka.sh\x00\x09kafka.sh\x021\x00'

# True when a Kafka broker on $HOST:$PORT answers an ApiVersions (v3) request.
# A KRaft broker only starts processing requests once it has caught up with the
# metadata log, so an answer means it is ready to serve clients.
# Raw protocol over bash's /dev/tcp (or openssl s_client on the SASL_SSL listener, which
# answers ApiVersions before authentication): answers in milliseconds, no JVM start.
kafka_answers() {
    local reply
    if [[ $SECURITY == sasl_ssl ]]; then
        [[ -r $TLS/ca.crt ]] || return 1
        # shellcheck disable=SC2059  # the request is the format
        reply=$( (printf "$API_VERSIONS"; sleep 2) | timeout 3 openssl s_client -quiet -no_ign_eof \
            -verify_return_error -CAfile "$TLS/ca.crt" -verify_ip "$HOST" -connect "$HOST:$PORT" 2>/dev/null \
            | head -c 10 | od -An -tx1 | tr -d " \n") || true
    else
        # shellcheck disable=SC2016  # $0/$1/$2 expand in the inner shell
        reply=$(timeout 3 bash -c '
            exec 3<>"/dev/tcp/$0/$1" || exit 1
            printf "$2" >&3
            head -c 10 <&3 | od -An -tx1 | tr -d " \n"
        ' "$HOST" "$PORT" "$API_VERSIONS" 2>/dev/null) || return 1
    fi
    # response: size(4) correlation_id(4)=42 error_code(2)=0
    [[ ${reply:8:12} == 0000002a0000 ]]
}

# --- jars, configuration, storage ---

ensure_jars() {
    local sha
    sha=$(sha256sum "$POM" | cut -d' ' -f1)
    if [[ -d $LIBS && -r $LIBS_STAMP && $(<"$LIBS_STAMP") == "$sha" ]] && compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null; then
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || die "mvn not found: it fetches Kafka's jars (on Debian: apt-get install maven)"
    say "fetching Kafka jars with Maven into .run/kafka/libs (first run or pom changed)..."
    mkdir -p "$RUN_DIR/kafka"
    rm -rf "$LIBS.tmp"
    if ! mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
            -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" >"$RUN_DIR/kafka/mvn.log" 2>&1; then
        tail -n 40 "$RUN_DIR/kafka/mvn.log" >&2
        die "Maven could not fetch the jars named in $POM (full output: $RUN_DIR/kafka/mvn.log)"
    fi
    compgen -G "$LIBS.tmp/kafka_2.13-*.jar" >/dev/null || die "Maven ran but no kafka_2.13 jar is in $LIBS.tmp"
    rm -rf "$LIBS"
    mv "$LIBS.tmp" "$LIBS"
    echo "$sha" >"$LIBS_STAMP"
}

render_config() {
    mkdir -p "$KAFKA_DIR" "$DATA"
    local tmp=$PROPS.tmp templates=("$PROPS_TEMPLATE")
    # Java properties: a key given again later wins, so the security file overrides the listeners.
    [[ $SECURITY == sasl_ssl ]] && templates+=("$SASL_SSL_TEMPLATE")
    cat "${templates[@]}" | sed -e "s|@KAFKA_DATA_DIR@|$DATA|g" -e "s|@KAFKA_TLS_DIR@|$TLS|g" \
        -e "s|:9092|:$PORT|g" -e "s|:9093|:$CONTROLLER_PORT|g" >"$tmp"
    if [[ $SECURITY == sasl_ssl ]]; then
        # The broker logs in to its own SASL_SSL listener as admin (the inter-broker listener).
        printf 'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=%s\n' "$(jaas admin)" >>"$tmp"
    fi
    chmod 600 "$tmp"
    if [[ -f $PROPS ]] && cmp -s "$tmp" "$PROPS"; then rm -f "$tmp"; else mv "$tmp" "$PROPS"; fi
    # client settings for the tools this script runs: fail fast instead of retrying for a minute
    (
        umask 077
        printf 'request.timeout.ms=5000\ndefault.api.timeout.ms=15000\n' >"$TOOLS_PROPS"
        if [[ $SECURITY == sasl_ssl ]]; then
            printf 'security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=%s\n' "$(jaas admin)"
            printf 'ssl.truststore.type=PEM\nssl.truststore.location=%s\n' "$TLS/ca.crt"
        fi >>"$TOOLS_PROPS"
    )
}

jaas() { # user -> the JAAS line a Java client logs in with
    printf 'org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";' \
        "$1" "$(<"$USERS/$1.password")"
}

# --- security (KAFKA_SECURITY=sasl_ssl) ---

# A CA and the broker's certificate (SANs 127.0.0.1 and localhost, for server and client use:
# the broker presents it on both listeners and to its own controller), each made once.
ensure_tls() {
    [[ -s $TLS/broker.pem && -s $TLS/ca.crt ]] && return 0
    command -v openssl >/dev/null 2>&1 || die "openssl not found (on Debian: apt-get install openssl)"
    rm -rf "$TLS"
    mkdir -p "$TLS"
    chmod 700 "$TLS"
    (
        cd "$TLS"
        openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 825 -subj "/CN=qa-local-kafka-ca" \
            -keyout ca.key -out ca.crt -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign"
        openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=qa-local-kafka-broker" -keyout broker.key -out broker.csr
        printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "extendedKeyUsage=serverAuth,clientAuth" \
            "keyUsage=critical,digitalSignature,keyEncipherment" >broker.ext
        openssl x509 -req -sha256 -days 825 -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
            -extfile broker.ext -out broker.crt
        # Kafka's PEM key store: the private key (PKCS#8) and then the certificate chain.
        cat broker.key broker.crt ca.crt >broker.pem
        rm -f broker.csr broker.ext
        chmod 600 ./*.key broker.pem
    ) >>"$LOG" 2>&1 || die "making the TLS certificates in $TLS failed (see $LOG)"
}

ensure_users() {
    [[ -d $USERS ]] && return 0
    local user
    mkdir -p "$USERS.tmp"
    chmod 700 "$USERS.tmp"
    for user in "${USER_NAMES[@]}"; do
        printf '%s\n' "$user" >"$USERS.tmp/$user.username"
        (umask 077 && openssl rand -hex 24 >"$USERS.tmp/$user.password")
    done
    mv "$USERS.tmp" "$USERS"
}

scram_args() { # the StorageTool arguments that create every user
    local user
    for user in "${USER_NAMES[@]}"; do
        printf '%s\n' --add-scram "SCRAM-SHA-512=[name=$user,password=$(<"$USERS/$user.password")]"
    done
}

acl() { # AclCommand arguments (after --add)
    run_tool org.apache.kafka.tools.AclCommand --bootstrap-server "$BOOTSTRAP" \
        --command-config "$TOOLS_PROPS" --add --force "$@" >>"$LOG" 2>&1
}

# Made once per storage: ACLs live in the KRaft metadata with the topics.
ensure_acls() {
    [[ -f $KAFKA_DIR/acls.done ]] && return 0
    local entry pids=() failed=0 pid
    for entry in "${WRITE_SERVICES[@]}"; do
        acl --allow-principal "User:${entry%%:*}" --operation Write --operation Describe \
            --topic "${entry##*:}" &
        pids+=($!)
    done
    local domain=()
    for entry in "${WRITE_SERVICES[@]}"; do domain+=(--topic "${entry##*:}"); done
    acl --allow-principal User:reporting-service --operation Read --operation Describe "${domain[@]}" &
    pids+=($!)
    acl --allow-principal User:reporting-service --operation Read --resource-pattern-type prefixed \
        --group reporting-service &
    pids+=($!)
    acl --allow-principal User:reporting-service --operation Write --operation Describe \
        --topic qa.reporting.dlq.v1 &
    pids+=($!)
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    ((failed == 0)) || die "setting the ACLs failed (see $LOG)"
    touch "$KAFKA_DIR/acls.done"
}

run_tool() { # main-class args...   (killed after TOOL_TIMEOUT seconds, default 60)
    timeout "${TOOL_TIMEOUT:-60}" java -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$TOOLS_LOG4J" \
        -cp "$LIBS/*" "$@"
}

ensure_formatted() {
    [[ -f $DATA/meta.properties ]] && return 0
    if [[ -n $(ls -A "$DATA" 2>/dev/null) ]]; then
        die "$DATA is not empty but has no meta.properties; delete it to start with an empty broker"
    fi
    local cluster_id out
    cluster_id=$(run_tool kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1) || die "StorageTool random-uuid failed"
    [[ $cluster_id =~ ^[A-Za-z0-9_-]{22}$ ]] || die "StorageTool random-uuid printed '$cluster_id'"
    local scram=()
    [[ $SECURITY == sasl_ssl ]] && mapfile -t scram < <(scram_args)
    if ! out=$(run_tool kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$PROPS" "${scram[@]}" 2>&1); then
        echo "$out" >&2
        die "formatting KRaft storage in $DATA failed"
    fi
    echo "[$(date -u +%FT%TZ)] kafka.sh: formatted $DATA (cluster id $cluster_id)" >>"$LOG"
}

# --- commands ---

cmd_start() {
    if kafka_answers; then
        local pid
        if pid=$(broker_pid); then
            say "already running on $BOOTSTRAP (pid $pid)"
        else
            say "already running on $BOOTSTRAP (not started from this checkout)"
        fi
        return 0
    fi
    need_java
    mkdir -p "$RUN_DIR/logs" "$RUN_DIR/pids"

    local pid
    if pid=$(broker_pid); then
        say "pid $pid is running but does not answer yet; waiting for it"
    else
        rm -f "$PID_FILE"
        port_open "$HOST" "$PORT" && die "port $PORT is in use by another process that is not a Kafka broker answering"
        port_open "$HOST" "$CONTROLLER_PORT" && die "controller port $CONTROLLER_PORT is in use by another process"
        ensure_jars
        if [[ $SECURITY == sasl_ssl ]]; then
            ensure_tls
            ensure_users
        fi
        render_config
        ensure_formatted
        echo "[$(date -u +%FT%TZ)] kafka.sh: starting broker" >>"$LOG"
        # own session (setsid) so that the broker outlives this shell and its terminal;
        # the inner shell writes its pid, then becomes the JVM (exec), so the pid is the broker's
        # shellcheck disable=SC2016
        setsid -f bash -c 'echo $$ >"$0"; exec nohup "$@"' "$PID_FILE" \
            java "${HEAP_OPTS[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
            -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
            -Dlog4j2.configurationFile="$LOG4J" -Dlog4j2.shutdownHookEnabled=false \
            -cp "$LIBS/*" kafka.Kafka "$PROPS" \
            </dev/null >>"$LOG" 2>&1
        local i
        for ((i = 0; i < 50; i++)); do
            pid=$(broker_pid) && break
            sleep 0.1
        done
        [[ -n ${pid:-} ]] || { log_tail; die "the broker did not start (see $LOG)"; }
    fi

    local start=$SECONDS out=""
    while ((SECONDS - start < START_TIMEOUT)); do
        if kafka_answers; then
            # a metadata round trip through the admin client, as a real client would do
            if out=$(TOOL_TIMEOUT=30 run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" \
                    --command-config "$TOOLS_PROPS" --list 2>&1); then
                [[ $SECURITY == sasl_ssl ]] && ensure_acls
                say "up on $BOOTSTRAP (pid $pid, ready after $((SECONDS - start)) s; log: ${LOG#"$REPO"/})"
                return 0
            fi
        fi
        if ! broker_pid >/dev/null; then
            log_tail 40
            die "the broker (pid $pid) exited during start-up (see $LOG)"
        fi
        sleep 1
    done
    [[ -n $out ]] && echo "last TopicCommand --list output: $out" >&2
    log_tail 40
    die "the broker (pid $pid) did not answer on $BOOTSTRAP within ${START_TIMEOUT} s; it is left running (stop: $0 stop)"
}

cmd_stop() {
    local pid
    if ! pid=$(broker_pid); then
        rm -f "$PID_FILE"
        if kafka_answers; then
            die "a broker answers on $BOOTSTRAP but it was not started from this checkout (no live $PID_FILE); not stopping it"
        fi
        say "not running"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    local start=$SECONDS
    while ((SECONDS - start < STOP_TIMEOUT)); do
        if ! broker_pid >/dev/null && ! port_open "$HOST" "$PORT"; then
            rm -f "$PID_FILE"
            say "stopped"
            return 0
        fi
        sleep 0.5
    done
    echo "kafka: pid $pid still running after ${STOP_TIMEOUT} s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    for ((start = 0; start < 20; start++)); do
        broker_pid >/dev/null || { rm -f "$PID_FILE"; say "stopped (killed)"; return 0; }
        sleep 0.5
    done
    die "pid $pid survived SIGKILL"
}

cmd_status() {
    local pid
    if kafka_answers; then
        if pid=$(broker_pid); then say "up on $BOOTSTRAP (pid $pid)"; else say "up on $BOOTSTRAP (not started from this checkout)"; fi
        return 0
    fi
    if pid=$(broker_pid); then
        say "down: pid $pid is running but does not answer on $BOOTSTRAP (starting or stuck; log: $LOG)"
    else
        say "down"
    fi
    return 1
}

cmd_topics() {
    [[ -d $LIBS ]] || die "no jars in $LIBS yet: run '$0 start' first"
    need_java
    render_config
    run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --command-config "$TOOLS_PROPS" "$@"
}

# The settings (qaf_shared.settings.ServiceSettings) with which USER reaches this broker.
cmd_env() {
    local user=${1:-}
    printf 'QA_KAFKA_BOOTSTRAP_SERVERS=%s\n' "$BOOTSTRAP"
    if [[ $SECURITY == plaintext ]]; then
        printf 'QA_KAFKA_SECURITY_PROTOCOL=PLAINTEXT\n'
        return 0
    fi
    [[ " ${USER_NAMES[*]} " == *" $user "* ]] || die "env needs a user: one of ${USER_NAMES[*]}"
    [[ -r $USERS/$user.password ]] || die "no users yet in $USERS: run '$0 start' first"
    printf '%s\n' QA_KAFKA_SECURITY_PROTOCOL=SASL_SSL "QA_KAFKA_SSL_CA_FILE=$TLS/ca.crt" \
        QA_KAFKA_SASL_MECHANISM=SCRAM-SHA-512 "QA_KAFKA_SASL_USERNAME_FILE=$USERS/$user.username" \
        "QA_KAFKA_SASL_PASSWORD_FILE=$USERS/$user.password"
}

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    topics) shift; cmd_topics "$@" ;;
    env) shift; cmd_env "$@" ;;
    *) echo "usage: $0 start|stop|status|topics [TopicCommand args...]|env USER" >&2; exit 2 ;;
esac
