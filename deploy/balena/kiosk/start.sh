#!/bin/sh
# Chromium full screen on the touchscreen, nothing else: no screen blanking, no cursor, no
# first-run or error dialogs. The container is its sandbox (Chromium runs as root here).
set -eu
url=${KIOSK_URL:-http://127.0.0.1:8080/}
rm -f /tmp/.X0-lock
cat >/tmp/kiosk-session <<SESSION
#!/bin/sh
xset s off -dpms s noblank
exec chromium --no-sandbox --kiosk --noerrdialogs --disable-infobars --no-first-run \
    --incognito --touch-events=enabled --check-for-update-interval=31536000 "$url"
SESSION
chmod 755 /tmp/kiosk-session
exec xinit /tmp/kiosk-session -- :0 -nocursor
