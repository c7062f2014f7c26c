#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian/Ubuntu machine: the OS packages for PostgreSQL+PostGIS,
# Redis, Mosquitto, Node.js with npm and Chromium (only when missing), then the Python dependencies from uv.lock
# into .venv and the wall page's bundle (npm ci and esbuild in ioc/wall/web, only when its sources changed).
# Safe to run again: every step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
STATE="$ROOT/.state"
mkdir -p "$STATE"

log() { printf '\033[1;34m[bootstrap]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[bootstrap]\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root (or sudo) to install OS packages: $*"
    fi
}

pg_bin_dir() {
    # The newest installed PostgreSQL (15 or later) that has PostGIS 3 next to it.
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
        local major
        major=$(basename "$(dirname "$dir")")
        if [ "$major" -ge 15 ] && ls /usr/share/postgresql/"$major"/extension/postgis.control >/dev/null 2>&1; then
            echo "$dir"; return 0
        fi
    done
    return 1
}

missing=()
pg_bin_dir >/dev/null || missing+=(postgis)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v mosquitto >/dev/null && command -v mosquitto_passwd >/dev/null || missing+=(mosquitto)
# The wall's bundle is built with npm; its browser tests drive Debian's Chromium (never a downloaded browser).
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs)
[ -x /usr/bin/chromium ] || missing+=(chromium)

if [ ${#missing[@]} -gt 0 ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        die "missing ${missing[*]} and this machine has no apt-get. Install PostgreSQL 15+ with PostGIS 3, Redis 7, Mosquitto 2, Node.js with npm and Chromium (at /usr/bin/chromium) yourself, or run the production stack with: docker compose up"
    fi
    log "installing OS packages for: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -q
    pkgs=()
    command -v redis-server >/dev/null || pkgs+=(redis-server)
    command -v mosquitto >/dev/null && command -v mosquitto_passwd >/dev/null || pkgs+=(mosquitto mosquitto-clients)
    command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm)
    [ -x /usr/bin/chromium ] || pkgs+=(chromium fonts-noto-core)
    if ! pg_bin_dir >/dev/null; then
        # The distribution's default PostgreSQL major version, e.g. 15 on Debian 12, 16 on Ubuntu 24.04.
        major=$(apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -1)
        [ -n "$major" ] || die "cannot tell which PostgreSQL version this distribution ships"
        [ "$major" -ge 15 ] || die "PostgreSQL $major is too old (15+ needed); use: docker compose up"
        pkgs+=("postgresql-$major" "postgresql-$major-postgis-3")
    fi
    as_root apt-get install -y -q --no-install-recommends "${pkgs[@]}"
    pg_bin_dir >/dev/null || die "PostGIS did not install"
    command -v npm >/dev/null || die "npm did not install"
    [ -x /usr/bin/chromium ] || die "Chromium did not install at /usr/bin/chromium"
fi

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    die "Python 3.11 or newer is needed as python3"
fi

# uv itself lives in its own small virtual environment so that `uv sync` may prune .venv freely.
UV="$STATE/tools/bin/uv"
UV_VERSION=0.13.8
if [ ! -x "$UV" ] || [ "$("$UV" --version | awk '{print $2}')" != "$UV_VERSION" ]; then
    log "installing uv $UV_VERSION"
    if ! python3 -m venv "$STATE/tools" 2>/dev/null; then
        command -v apt-get >/dev/null || die "python3 cannot create virtual environments (install python3-venv)"
        as_root apt-get install -y -q python3-venv
        python3 -m venv "$STATE/tools"
    fi
    "$STATE/tools/bin/pip" install -q --disable-pip-version-check "uv==$UV_VERSION"
fi

export UV_PYTHON_DOWNLOADS=never
log "syncing Python dependencies from uv.lock"
UV_PROJECT_ENVIRONMENT="$ROOT/.venv" "$UV" sync --frozen --quiet

# The wall page's bundle: rebuilt only when its sources, its lock or the build script changed (the stamp holds
# their hash). npm ci installs exactly package-lock.json; nothing is fetched at run time, so the wall works with
# no internet.
WEB="$ROOT/ioc/wall/web"
DIST="$ROOT/ioc/wall/static/dist"
web_hash=$(cd "$WEB" && find package.json package-lock.json build.mjs tsconfig.json src -type f -print0 \
    | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STATE/wall-bundle.stamp" 2>/dev/null)" != "$web_hash" ] || [ ! -f "$DIST/manifest.json" ]; then
    log "building the wall page (npm ci, esbuild)"
    (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
    echo "$web_hash" >"$STATE/wall-bundle.stamp"
fi
