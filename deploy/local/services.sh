#!/usr/bin/env bash
# The five services, each a uvicorn process on its fixed port, in the background.
#
#   deploy/local/services.sh start    start those not answering, wait until all answer /readyz
#   deploy/local/services.sh stop     stop the ones this checkout started (pid files)
#   deploy/local/services.sh status   print each one's readiness; exit 1 if any is not ready
#
# Logs in .run/logs/<service>.log, pids in .run/pids/<service>.pid. Settings come from the
# environment (QA_*), e.g. QA_WORKERS for the uvicorn worker count. With KAFKA_SECURITY=sasl_ssl each
# service reaches Kafka as its own user (deploy/local/kafka.sh env <service>).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN_DIR=$REPO/.run
PY=$REPO/.venv/bin/python
SERVICES=("audit-service:8001" "escalation-service:8002" "feedback-service:8003" "reporting-service:8004" "activity-service:8005")
START_TIMEOUT=${QA_START_TIMEOUT:-60}

say() { echo "services: $*"; }

answers() { # port path -> 0 when it answers 200
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1$2" 2>/dev/null
}

alive() { # pid -> 0 when running and not a zombie
    local state
    [[ -r /proc/$1/stat ]] || return 1
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ $state != Z && $state != X ]]
}

cmd_start() {
    mkdir -p "$RUN_DIR/logs" "$RUN_DIR/pids"
    [[ -x $PY ]] || { echo "services: no virtualenv at .venv (run 'make install')" >&2; exit 1; }
    local entry name port package kafka_env
    for entry in "${SERVICES[@]}"; do
        name=${entry%%:*} port=${entry##*:} package=${name//-/_}
        if answers "$port" /healthz; then
            say "$name already answers on :$port"
            continue
        fi
        kafka_env=()
        if [[ ${KAFKA_SECURITY:-plaintext} == sasl_ssl ]]; then
            mapfile -t kafka_env < <(bash "$REPO/deploy/local/kafka.sh" env "$name")
            [[ ${#kafka_env[@]} -gt 0 ]] || { echo "services: no Kafka user for $name" >&2; exit 1; }
        fi
        (cd "$REPO" && env "${kafka_env[@]}" setsid -f bash -c "echo \$\$ > '$RUN_DIR/pids/$name.pid'; exec '$PY' -m uvicorn \
            --factory $package.main:create_app --host 127.0.0.1 --port $port \
            --workers ${QA_WORKERS:-1} --no-access-log >> '$RUN_DIR/logs/$name.log' 2>&1")
        say "started $name on :$port"
    done
    local deadline=$((SECONDS + START_TIMEOUT)) pending
    while :; do
        pending=()
        for entry in "${SERVICES[@]}"; do
            answers "${entry##*:}" /readyz || pending+=("${entry%%:*}")
        done
        [[ ${#pending[@]} -eq 0 ]] && break
        if ((SECONDS > deadline)); then
            echo "services: not ready after ${START_TIMEOUT}s: ${pending[*]} (see .run/logs/)" >&2
            for name in "${pending[@]}"; do tail -n 20 "$RUN_DIR/logs/$name.log" >&2 || true; done
            exit 1
        fi
        sleep 0.5
    done
    say "all five answer /readyz"
}

cmd_stop() {
    local entry name port pid
    for entry in "${SERVICES[@]}"; do
        name=${entry%%:*} port=${entry##*:}
        pid=$(cat "$RUN_DIR/pids/$name.pid" 2>/dev/null || true)
        if [[ -n $pid ]] && alive "$pid"; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.2; done
            alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
            say "stopped $name"
        else
            say "$name not running"
        fi
        rm -f "$RUN_DIR/pids/$name.pid"
    done
}

cmd_status() {
    local entry rc=0
    for entry in "${SERVICES[@]}"; do
        if answers "${entry##*:}" /readyz; then say "${entry%%:*} ready on :${entry##*:}"
        else say "${entry%%:*} NOT ready on :${entry##*:}"; rc=1; fi
    done
    return $rc
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
