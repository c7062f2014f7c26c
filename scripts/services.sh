#!/usr/bin/env bash
# Starts, stops and reports the local PostgreSQL+PostGIS, Redis and Mosquitto servers of this project.
# Each runs as a plain process with its files under .state/, listens on 127.0.0.1 only, on the ports from the
# project settings (see `smartcity config shell`), so it never touches the system's own instances.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
# shellcheck disable=SC1090
eval "$("$ROOT/.venv/bin/smartcity" config shell)"
STATE="$SMARTCITY_STATE_DIR"
LOGS="$STATE/logs"
mkdir -p "$LOGS"

log() { printf '\033[1;34m[services]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[services]\033[0m %s\n' "$*" >&2; exit 1; }

wait_for() { # wait_for DESCRIPTION SECONDS COMMAND...
    local what=$1 seconds=$2; shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || die "$what did not come up within ${seconds}s (logs in $LOGS)"
        sleep 0.2
    done
}

# PostgreSQL refuses to run as root; when we are root it runs as the OS package's postgres user.
run_as_owner() { # run_as_owner USER COMMAND...
    local user=$1; shift
    if [ "$(id -u)" -eq 0 ] && id "$user" >/dev/null 2>&1; then runuser -u "$user" -- "$@"; else "$@"; fi
}

pg_bin() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
        local major; major=$(basename "$(dirname "$dir")")
        if [ "$major" -ge 15 ] && [ -f /usr/share/postgresql/"$major"/extension/postgis.control ]; then
            echo "$dir"; return 0
        fi
    done
    die "no PostgreSQL 15+ with PostGIS found; run scripts/bootstrap.sh"
}

PG_DATA="$STATE/pg/data"
PG_RUN="$STATE/pg/run"
psql_admin() { PGOPTIONS="-c client_min_messages=warning" "$(pg_bin)/psql" -h "$PG_RUN" -p "$SMARTCITY_PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

pg_start() {
    local bin; bin=$(pg_bin)
    mkdir -p "$STATE/pg" "$PG_RUN"
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$STATE/pg"; touch "$LOGS/postgres.log"; chown postgres "$LOGS/postgres.log"; fi
    if [ ! -f "$PG_DATA/PG_VERSION" ]; then
        log "initialising PostgreSQL cluster in $PG_DATA"
        run_as_owner postgres "$bin/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
            --auth-local=trust --auth-host=scram-sha-256 >"$LOGS/initdb.log"
        cat >>"$PG_DATA/postgresql.conf" <<CONF
# smartcity local stack
listen_addresses = '127.0.0.1'
port = $SMARTCITY_PG_PORT
unix_socket_directories = '$PG_RUN'
max_connections = 200
shared_buffers = 512MB
CONF
    fi
    if run_as_owner postgres "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
        log "PostgreSQL already running on 127.0.0.1:$SMARTCITY_PG_PORT"
    else
        log "starting PostgreSQL on 127.0.0.1:$SMARTCITY_PG_PORT"
        run_as_owner postgres "$bin/pg_ctl" -D "$PG_DATA" -l "$LOGS/postgres.log" -w -t 60 start >/dev/null
    fi
    wait_for PostgreSQL 60 psql_admin -c 'select 1'
    # Role and database from the settings; PostGIS in template1 so that every database (tests too) has it.
    psql_admin -d postgres <<SQL
SELECT format('CREATE ROLE %I LOGIN CREATEDB', '$SMARTCITY_PG_USER')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$SMARTCITY_PG_USER')\gexec
ALTER ROLE "$SMARTCITY_PG_USER" PASSWORD '$SMARTCITY_PG_PASSWORD';
SELECT format('CREATE DATABASE %I OWNER %I', '$SMARTCITY_PG_DATABASE', '$SMARTCITY_PG_USER')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$SMARTCITY_PG_DATABASE')\gexec
SQL
    psql_admin -d template1 -c 'CREATE EXTENSION IF NOT EXISTS postgis'
    psql_admin -d "$SMARTCITY_PG_DATABASE" -c 'CREATE EXTENSION IF NOT EXISTS postgis'
}

pg_stop() {
    local bin; bin=$(pg_bin)
    if [ -f "$PG_DATA/PG_VERSION" ] && run_as_owner postgres "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
        log "stopping PostgreSQL"
        run_as_owner postgres "$bin/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
    fi
}

redis_cli() { redis-cli -h 127.0.0.1 -p "$SMARTCITY_REDIS_PORT" "$@"; }

redis_start() {
    mkdir -p "$STATE/redis"
    if redis_cli ping 2>/dev/null | grep -q PONG; then
        log "Redis already running on 127.0.0.1:$SMARTCITY_REDIS_PORT"; return 0
    fi
    log "starting Redis on 127.0.0.1:$SMARTCITY_REDIS_PORT"
    redis-server --bind 127.0.0.1 --port "$SMARTCITY_REDIS_PORT" --dir "$STATE/redis" \
        --daemonize yes --pidfile "$STATE/redis/redis.pid" --logfile "$LOGS/redis.log" \
        --appendonly yes --appendfsync always --save "" >/dev/null
    wait_for Redis 30 sh -c "redis-cli -h 127.0.0.1 -p $SMARTCITY_REDIS_PORT ping | grep -q PONG"
}

redis_stop() {
    if redis_cli ping 2>/dev/null | grep -q PONG; then
        log "stopping Redis"
        redis_cli shutdown >/dev/null 2>&1 || true
    fi
}

MQ="$STATE/mosquitto"
mosquitto_running() { [ -f "$MQ/mosquitto.pid" ] && kill -0 "$(cat "$MQ/mosquitto.pid")" 2>/dev/null; }

# The dynamic-security plugin's file (device identities), in the persistence folder. Seeded when absent and
# never replaced: the broker rewrites it on every change. Default access denies receiving and subscribing, so
# devices get only what the acl file's patterns give them (see deploy/mosquitto/entrypoint.sh, same seed); the
# roles that refuse devices' subscriptions are made by the backend's first admin command, in a new file as in
# an older one.
DYNSEC="$MQ/data/dynamic-security.json"
DYNSEC_SEED='{"defaultACLAccess":{"publishClientSend":false,"publishClientReceive":false,"subscribe":false,"unsubscribe":true},"clients":[],"groups":[],"roles":[]}'

mosquitto_start() {
    mkdir -p "$MQ/data"
    if mosquitto_running; then
        log "Mosquitto already running on 127.0.0.1:$SMARTCITY_MQTT_PORT"; return 0
    fi
    # The production configuration from deploy/, with the local port, paths and loopback listener.
    sed -e "s|^listener .*|listener $SMARTCITY_MQTT_PORT 127.0.0.1|" \
        -e "s|^persistence_location .*|persistence_location $MQ/data/|" \
        -e "s|^plugin_opt_config_file .*|plugin_opt_config_file $DYNSEC|" \
        -e "s|^password_file .*|password_file $MQ/passwd|" \
        -e "s|^acl_file .*|acl_file $MQ/acl|" \
        -e "s|^log_dest .*|log_dest file $LOGS/mosquitto.log|" \
        deploy/mosquitto/mosquitto.conf >"$MQ/mosquitto.conf"
    echo "pid_file $MQ/mosquitto.pid" >>"$MQ/mosquitto.conf"
    cp deploy/mosquitto/acl "$MQ/acl"
    rm -f "$MQ/passwd"; touch "$MQ/passwd"; chmod 600 "$MQ/passwd"
    mosquitto_passwd -b "$MQ/passwd" "$SMARTCITY_MQTT_USERNAME" "$SMARTCITY_MQTT_PASSWORD"
    if [ ! -e "$DYNSEC" ]; then
        (umask 077; printf '%s\n' "$DYNSEC_SEED" >"$DYNSEC")
    fi
    touch "$LOGS/mosquitto.log"
    # Started as root, the broker drops to its own user, which must write its pid, data and plugin file.
    if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then
        chown -R mosquitto "$MQ" "$LOGS/mosquitto.log"
    fi
    log "starting Mosquitto on 127.0.0.1:$SMARTCITY_MQTT_PORT"
    mosquitto -c "$MQ/mosquitto.conf" -d
    wait_for Mosquitto 30 mosquitto_running
    wait_for Mosquitto 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SMARTCITY_MQTT_PORT"
}

mosquitto_stop() {
    if mosquitto_running; then
        log "stopping Mosquitto"
        local pid; pid=$(cat "$MQ/mosquitto.pid")
        kill "$pid"
        local deadline=$((SECONDS + 20))
        while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    fi
}

case "${1:-}" in
    start) pg_start; redis_start; mosquitto_start ;;
    stop) mosquitto_stop; redis_stop; pg_stop ;;
    status)
        run_as_owner postgres "$(pg_bin)/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1 && echo "postgres: up" || echo "postgres: down"
        redis_cli ping 2>/dev/null | grep -q PONG && echo "redis: up" || echo "redis: down"
        mosquitto_running && echo "mosquitto: up" || echo "mosquitto: down"
        ;;
    # The broker alone, e.g. a private one for a test:
    #   SMARTCITY_STATE_DIR=/tmp/x SMARTCITY_MQTT_PORT=52999 scripts/services.sh mosquitto-start
    mosquitto-start) mosquitto_start ;;
    mosquitto-stop) mosquitto_stop ;;
    mosquitto-status) mosquitto_running && echo "mosquitto: up" || { echo "mosquitto: down"; exit 3; } ;;
    *) echo "usage: $0 start|stop|status|mosquitto-start|mosquitto-stop|mosquitto-status" >&2; exit 2 ;;
esac
