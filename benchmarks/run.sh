#!/usr/bin/env bash
# The comparative loopback benchmark in one command, from anywhere in the repository:
#   benchmarks/run.sh            # about 12 minutes; writes benchmarks/results/<date>.md
#   benchmarks/run.sh --quick    # 1 to 2 minutes, for a first look
# It installs HAProxy if it is missing (Debian/Ubuntu), builds the benchmarks jar, and runs
# io.mesh4j.benchmarks.load.LoadHarness with the arguments given (see benchmarks/README.md).
# SKIP_BUILD=1 reuses the jar; MAVEN_ARGS is passed to Maven (e.g. -Dmaven.repo.local=...).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
  benchmarks/scripts/install-haproxy.sh \
    || echo "HAProxy could not be installed: the sidecar rows will say so and be skipped" >&2
fi
if [ "${SKIP_BUILD:-0}" != 1 ] || [ ! -f benchmarks/target/benchmarks.jar ]; then
  # shellcheck disable=SC2086
  ./mvnw -B -q ${MAVEN_ARGS:-} -pl benchmarks -am install -DskipTests
fi
# A fixed heap, so that heap resizing does not land in one row and not another.
exec java -Xms1g -Xmx1g -cp benchmarks/target/benchmarks.jar \
  io.mesh4j.benchmarks.load.LoadHarness "$@"
