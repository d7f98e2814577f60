#!/usr/bin/env bash
# Installs what the controller's xDS interop tests run besides Java: Node.js (the distribution's
# package, when the machine has none) and the Node client's locked packages (@grpc/grpc-js and
# @grpc/grpc-js-xds, from mesh-controller/src/test/node/xds-client/package-lock.json).
# Idempotent; quiet on success.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=mesh-controller/src/test/node/xds-client
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "no Node.js and no apt-get here: install Node.js 18 or later with npm" >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
  fi
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  if ! $SUDO apt-get update -q >"$log" 2>&1 \
      || ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q nodejs npm >>"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "installing Node.js with apt-get failed (the log's end is above)" >&2
    exit 1
  fi
fi
# npm ci again only when the lock file changed since the last install.
stamp="$dir/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
echo "Node.js $(node --version) and the xDS test client's packages are installed"
