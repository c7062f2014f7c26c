#!/usr/bin/env bash
# `make stop`: stop the processes `make run` started, then the local servers.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
[ -x "$ROOT/.venv/bin/smartcity" ] || { echo "nothing to stop (no .venv yet)"; exit 0; }
eval "$("$ROOT/.venv/bin/smartcity" config shell)"
PIDS="$SMARTCITY_STATE_DIR/pids"

for pidfile in "$PIDS"/*.pid; do
    [ -e "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        printf '\033[1;34m[stop]\033[0m stopping %s (pid %s)\n' "$(basename "$pidfile" .pid)" "$pid"
        kill "$pid"
        deadline=$((SECONDS + 20))
        while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$pidfile"
done
bash scripts/services.sh stop
