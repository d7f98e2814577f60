#!/usr/bin/env bash
# Installs Chromium from the distribution's packages (Debian: `chromium`) for the controller's
# browser tests, which load the live mesh page in headless Chromium. Idempotent; quiet on success.
set -euo pipefail
if [ -n "${MESH4J_CHROMIUM:-}" ] && [ -x "${MESH4J_CHROMIUM}" ]; then
  echo "Chromium (MESH4J_CHROMIUM) is installed: $("${MESH4J_CHROMIUM}" --version 2>/dev/null | head -1)"
  exit 0
fi
installed=$(command -v chromium 2>/dev/null || true)
if [ -z "$installed" ] && [ -x /usr/bin/chromium ]; then
  installed=/usr/bin/chromium
fi
if [ -n "$installed" ]; then
  echo "Chromium is installed: $("$installed" --version 2>/dev/null | head -1)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "no apt-get here: install Chromium with the system's package manager, or point MESH4J_CHROMIUM at a Chromium or Chrome binary" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
# apt's progress is long: it goes to a log that is shown only when a step fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! $SUDO apt-get update -q >"$log" 2>&1 \
    || ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium >>"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "installing Chromium with apt-get failed (the log's end is above)" >&2
  exit 1
fi
echo "Chromium installed: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
