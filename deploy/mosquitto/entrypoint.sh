#!/bin/sh
# Entry point of the broker container (docker-compose.yml): writes the password file for the backend's service
# account from the environment, so that no credential lives in the repository or in an image, then runs
# Mosquitto in the foreground with the configuration given as the first argument.
#
# The password file's path is read from that configuration, so this script and mosquitto.conf cannot disagree.
# The file is rewritten on every start: a password changed in the environment takes effect on restart and an
# old one never lingers.
set -eu

config=${1:-/mosquitto/config/mosquitto.conf}
: "${SMARTCITY_MQTT_USERNAME:?SMARTCITY_MQTT_USERNAME must be set for the broker}"
: "${SMARTCITY_MQTT_PASSWORD:?SMARTCITY_MQTT_PASSWORD must be set for the broker}"

setting() { awk -v key="$1" '$1 == key { print $2; exit }' "$config"; }

passwd_file=$(setting password_file)
if [ -z "$passwd_file" ]; then
    echo "entrypoint: $config has no password_file line" >&2
    exit 1
fi

# Only the broker may read the password hashes.
umask 077
mkdir -p "$(dirname "$passwd_file")"
rm -f "$passwd_file"
mosquitto_passwd -b -c "$passwd_file" "$SMARTCITY_MQTT_USERNAME" "$SMARTCITY_MQTT_PASSWORD"

# Started as root, Mosquitto drops to its own user before it opens the password file and its data folder,
# so both must belong to that user (a fresh named volume may be owned by root).
if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
    chown mosquitto:mosquitto "$passwd_file"
    data_dir=$(setting persistence_location)
    if [ -n "$data_dir" ]; then
        mkdir -p "$data_dir"
        chown -R mosquitto:mosquitto "$data_dir"
    fi
fi

# The broker itself never needs the clear-text password.
unset SMARTCITY_MQTT_PASSWORD
exec mosquitto -c "$config"
