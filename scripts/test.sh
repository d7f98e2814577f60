#!/usr/bin/env bash
# The test command: installs what the tests need beyond what Maven fetches (Chromium, for the
# live mesh page's browser tests; Node.js and gRPC's Node xDS client, for the xDS interop tests),
# then builds and tests every module. Arguments go to Maven before the goal, e.g.
# `scripts/test.sh clean` or `scripts/test.sh -o`.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! scripts/install-chromium.sh; then
  if [ "${CI:-}" = "true" ]; then
    exit 1
  fi
  echo "WARNING: Chromium could not be installed; the browser tests will be skipped" >&2
fi
if ! scripts/install-node-xds-client.sh; then
  if [ "${CI:-}" = "true" ]; then
    exit 1
  fi
  echo "WARNING: the Node.js xDS client could not be installed; its interop tests will be skipped" >&2
fi
./mvnw -B "$@" verify
