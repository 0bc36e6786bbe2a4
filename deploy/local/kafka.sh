#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, broker+controller) on 127.0.0.1:9092.
#
#   deploy/local/kafka.sh start    fetch jars (first run), format storage (first run), start, wait until it answers
#   deploy/local/kafka.sh stop     stop the broker this checkout started (SIGTERM, SIGKILL after 30 s)
#   deploy/local/kafka.sh status   print up/down; exit 0 when the broker answers, 1 otherwise
#   deploy/local/kafka.sh topics ARGS...
#                                  run TopicCommand against 127.0.0.1:9092, e.g.
#                                  topics --create --topic t --partitions 6 --config retention.ms=-1
#
# Everything generated lives under <repo>/.run/: kafka/libs (jars), kafka/data (KRaft storage),
# kafka/server.properties (effective config), logs/kafka.log, pids/kafka.pid.
# Needs java (17+) and, for the first run, mvn with access to Maven Central.
# Environment: KAFKA_HEAP_OPTS (default "-Xms256m -Xmx512m"), KAFKA_START_TIMEOUT (seconds, default 90).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RUN_DIR=$REPO/.run
KAFKA_DIR=$RUN_DIR/kafka
LIBS=$KAFKA_DIR/libs
LIBS_STAMP=$KAFKA_DIR/libs.pom.sha256
DATA=$KAFKA_DIR/data
PROPS=$KAFKA_DIR/server.properties
TOOLS_PROPS=$KAFKA_DIR/tools.properties
LOG=$RUN_DIR/logs/kafka.log
PID_FILE=$RUN_DIR/pids/kafka.pid
POM=$HERE/kafka/pom.xml
PROPS_TEMPLATE=$HERE/kafka/server.properties
LOG4J=$HERE/kafka/log4j2.properties
TOOLS_LOG4J=$HERE/kafka/tools-log4j2.properties

HOST=127.0.0.1
PORT=9092
CONTROLLER_PORT=9093
BOOTSTRAP=$HOST:$PORT
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

# True when a Kafka broker on 127.0.0.1:9092 answers an ApiVersions (v3) request.
# A KRaft broker only starts processing requests once it has caught up with the
# metadata log, so an answer means it is ready to serve clients.
# Raw protocol over bash's /dev/tcp: answers in milliseconds, no JVM start.
kafka_answers() {
    local reply
    # shellcheck disable=SC2016  # $0/$1 expand in the inner shell
    reply=$(timeout 3 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        # size=31 | api_key=18 (ApiVersions) version=3 correlation_id=42
        # client_id="kafka.sh" | no tags | client_software_name="kafka.sh" version="1" | no tags
        printf "\x00\x00\x00\x1f\x00\x12\x00\x03\x00\x00\x00\x2a\x00\x08kafka.sh\x00\x09kafka.sh\x021\x00" >&3
        head -c 10 <&3 | od -An -tx1 | tr -d " \n"
    ' "$HOST" "$PORT" 2>/dev/null) || return 1
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
    mkdir -p "$KAFKA_DIR"
    rm -rf "$LIBS.tmp"
    if ! mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
            -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" >"$KAFKA_DIR/mvn.log" 2>&1; then
        tail -n 40 "$KAFKA_DIR/mvn.log" >&2
        die "Maven could not fetch the jars named in $POM (full output: $KAFKA_DIR/mvn.log)"
    fi
    compgen -G "$LIBS.tmp/kafka_2.13-*.jar" >/dev/null || die "Maven ran but no kafka_2.13 jar is in $LIBS.tmp"
    rm -rf "$LIBS"
    mv "$LIBS.tmp" "$LIBS"
    echo "$sha" >"$LIBS_STAMP"
}

render_config() {
    mkdir -p "$KAFKA_DIR" "$DATA"
    local tmp=$PROPS.tmp
    sed "s|@KAFKA_DATA_DIR@|$DATA|g" "$PROPS_TEMPLATE" >"$tmp"
    if [[ -f $PROPS ]] && cmp -s "$tmp" "$PROPS"; then rm -f "$tmp"; else mv "$tmp" "$PROPS"; fi
    # client settings for the tools this script runs: fail fast instead of retrying for a minute
    printf 'request.timeout.ms=5000\ndefault.api.timeout.ms=15000\n' >"$TOOLS_PROPS"
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
    if ! out=$(run_tool kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$PROPS" 2>&1); then
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

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    topics) shift; cmd_topics "$@" ;;
    *) echo "usage: $0 start|stop|status|topics [TopicCommand args...]" >&2; exit 2 ;;
esac
