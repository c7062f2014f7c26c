#!/usr/bin/env bash
# `make run`: install what is missing, start the local servers, migrate, seed the demo province and start the
# API, the worker, the MQTT consumer and a small device simulation in the background on 127.0.0.1. Running it
# again leaves what already runs alone.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

bash scripts/bootstrap.sh
bash scripts/services.sh start
eval "$("$ROOT/.venv/bin/smartcity" config shell)"
LOGS="$SMARTCITY_STATE_DIR/logs"
PIDS="$SMARTCITY_STATE_DIR/pids"
mkdir -p "$LOGS" "$PIDS"

log() { printf '\033[1;34m[run]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[run]\033[0m %s\n' "$*" >&2; exit 1; }

log "migrating the database"
.venv/bin/smartcity migrate
log "seeding the demo province"
.venv/bin/smartcity seed

BASE="http://$SMARTCITY_API_HOST:$SMARTCITY_API_PORT"
http_status() { # prints the HTTP status of a GET, or 000 when nothing answers
    .venv/bin/python - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=2).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")
PY
}

# start_process NAME COMMAND...: starts a background process unless its pid file names a live one.
start_process() {
    local name=$1; shift
    local pidfile="$PIDS/$name.pid"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        log "$name already running (pid $(cat "$pidfile"))"; return 0
    fi
    log "starting $name (logs in $LOGS/$name.log)"
    nohup "$@" >>"$LOGS/$name.log" 2>&1 &
    echo $! >"$pidfile"
}

if [ "$(http_status "$BASE/health")" = "000" ] || [ -f "$PIDS/api.pid" ]; then
    start_process api .venv/bin/smartcity serve
else
    die "something else already answers on $BASE; stop it or set SMARTCITY_API_PORT"
fi

start_process worker .venv/bin/smartcity worker
# The MQTT consumer, and a small simulated province (3 devices of each type, with the scripted incidents) so
# the IOC has live devices to show; each simulated device has its own broker credentials and last will.
start_process ingest .venv/bin/smartcity ingest
start_process simulate .venv/bin/smartcity simulate --per-type 3 --mode devices --incidents

deadline=$((SECONDS + 60))
until [ "$(http_status "$BASE/ready")" = "200" ]; do
    if ! kill -0 "$(cat "$PIDS/api.pid")" 2>/dev/null; then
        tail -n 20 "$LOGS/api.log" >&2; die "the API exited; see $LOGS/api.log"
    fi
    [ $SECONDS -lt $deadline ] || die "the API did not become ready within 60 s; see $LOGS/api.log"
    sleep 0.3
done

log "ready: $BASE (API docs at $BASE/docs, readiness at $BASE/ready, metrics at $BASE/metrics)"
log "the operations-centre wall: $BASE/ioc (sign in as ioc.demo / ioc-demo-password, made by smartcity seed)"
log "stop everything with: make stop"
