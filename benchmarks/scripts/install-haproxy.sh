#!/usr/bin/env bash
# Installs HAProxy from the distribution's packages (Debian bookworm: 2.6) for the sidecar rows.
# The harness runs its own haproxy processes on loopback; the packaged system service is stopped.
set -euo pipefail
if command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; then
  echo "HAProxy is installed: $( (command -v haproxy || echo /usr/sbin/haproxy) | xargs -I{} {} -v | head -1)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "no apt-get here: install HAProxy 2.6 or newer with the system's package manager" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q haproxy
# Debian starts the packaged service; it serves nothing the benchmark uses.
$SUDO systemctl disable --now haproxy >/dev/null 2>&1 || $SUDO service haproxy stop >/dev/null 2>&1 || true
/usr/sbin/haproxy -v | head -1
