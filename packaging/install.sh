#!/bin/sh
# Installs Alpenglow on a systemd host without the .deb: the binary, the unit,
# a commented config and the service user. Enables nothing; then start the
# service (`systemctl enable --now alpenglow`) and run its setup wizard
# (`alpenglow tui`, as root: it talks to the service over its admin socket).
# Usage: sudo packaging/install.sh [path/to/alpenglow]
set -eu
bin=${1:-target/release/alpenglow}
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$bin" ] || { echo "install.sh: no executable at $bin (build with: cargo build --release)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
install -m 0755 "$bin" /usr/bin/alpenglow
install -m 0644 "$here/alpenglow.service" /etc/systemd/system/alpenglow.service
if ! getent passwd alpenglow >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/alpenglow --no-create-home --shell /usr/sbin/nologin alpenglow
fi
install -d -m 0750 -o root -g alpenglow /etc/alpenglow
[ -f /etc/alpenglow/alpenglow.toml ] || install -m 0640 -o root -g alpenglow "$here/alpenglow.toml" /etc/alpenglow/alpenglow.toml
systemctl daemon-reload 2>/dev/null || true
echo "Installed. Next: systemctl enable --now alpenglow, then alpenglow tui (the setup wizard)"
