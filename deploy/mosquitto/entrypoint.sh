#!/bin/sh
# Entry point of the broker container (docker-compose.yml): writes the password file for the backend's service
# account from the environment, so that no credential lives in the repository or in an image, then runs
# Mosquitto in the foreground with the configuration given as the first argument.
#
# It also seeds the dynamic-security plugin's file (device identities) when absent.
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

# mosquitto.conf names the plugin where Debian installs it; the eclipse-mosquitto image has it in /usr/lib.
plugin_file=$(setting plugin)
if [ -n "$plugin_file" ] && [ ! -e "$plugin_file" ] && [ -e /usr/lib/mosquitto_dynamic_security.so ]; then
    mkdir -p "$(dirname "$plugin_file")"
    ln -s /usr/lib/mosquitto_dynamic_security.so "$plugin_file"
fi

# The dynamic-security plugin's file holds the devices' identities: written only when absent, never replaced.
# Its default access denies publishing, receiving and subscribing, so a device has only the rights acl_file's
# patterns give it (the plugin's default would let every device receive every other device's messages). A
# default only defers to acl_file, which grants every subscription: the refusal of a device's subscriptions
# is the `device` role, which the backend's first admin command creates (iot/registry/broker_admin.py).
dynsec_file=$(setting plugin_opt_config_file)
if [ -n "$dynsec_file" ] && [ ! -e "$dynsec_file" ]; then
    mkdir -p "$(dirname "$dynsec_file")"
    printf '%s\n' '{"defaultACLAccess":{"publishClientSend":false,"publishClientReceive":false,"subscribe":false,"unsubscribe":true},"clients":[],"groups":[],"roles":[]}' >"$dynsec_file"
fi

# Started as root, Mosquitto drops to its own user before it opens the password file and its data folder,
# so both must belong to that user (a fresh named volume may be owned by root).
if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
    chown mosquitto:mosquitto "$passwd_file"
    data_dir=$(setting persistence_location)
    if [ -n "$data_dir" ]; then
        mkdir -p "$data_dir"
        chown -R mosquitto:mosquitto "$data_dir"
    fi
    # The broker rewrites this file (and replaces it through its folder) on every change.
    if [ -n "$dynsec_file" ]; then
        chown mosquitto:mosquitto "$dynsec_file" "$(dirname "$dynsec_file")"
    fi
fi

# The broker itself never needs the clear-text password.
unset SMARTCITY_MQTT_PASSWORD
exec mosquitto -c "$config"
