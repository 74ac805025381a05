#!/bin/sh
# The agent's entry point on balena: the identity `bianmin provision apply` put in the device
# variable BIANMIN_IDENTITY becomes the bundle file `bianmin edge run --bundle` reads, 0600 in
# the persistent volume, and the agent runs the window with the kiosk page on port 8080.
set -eu
bundle=/data/bianmin
if [ -z "${BIANMIN_IDENTITY:-}" ]; then
    echo "BIANMIN_IDENTITY is not set: provision this device (bianmin provision apply)," \
        "or it was revoked" >&2
    sleep 300  # balena restarts the container; do not spin
    exit 1
fi
umask 077
mkdir -p "$bundle/data"
printf '%s' "$BIANMIN_IDENTITY" >"$bundle/identity.json.new"
mv "$bundle/identity.json.new" "$bundle/identity.json"
unset BIANMIN_IDENTITY
exec bianmin edge run --bundle "$bundle" --data-dir "$bundle/data" --kiosk-port 8080
