#!/usr/bin/env bash
# A real Prometheus server scrapes a running mesh4j client and reports the request rate per
# subset of an 80/20 canary route. Not part of CI (it installs a package and runs for a minute).
#
#   scripts/prometheus-check.sh
#
# Environment: METRICS_PORT (19464), PROM_PORT (19090), RUN_SECONDS (45), MAVEN_ARGS (extra
# arguments for the Maven wrapper, e.g. -Dmaven.repo.local=...).
set -euo pipefail

cd "$(dirname "$0")/.."
METRICS_PORT=${METRICS_PORT:-19464}
PROM_PORT=${PROM_PORT:-19090}
RUN_SECONDS=${RUN_SECONDS:-45}
MAVEN_ARGS=${MAVEN_ARGS:-}

if ! command -v prometheus >/dev/null; then
  echo "== installing Debian's prometheus package"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
  $SUDO apt-get install -y prometheus
fi
prometheus --version 2>&1 | head -1

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building mesh4j (mesh-core, mesh-grpc and their test classes)"
# shellcheck disable=SC2086
./mvnw -B -q $MAVEN_ARGS -pl mesh-grpc -am install -DskipTests
# shellcheck disable=SC2086
./mvnw -B -q $MAVEN_ARGS -pl mesh-grpc dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$work/classpath.txt"

echo "== starting the sample (metrics on 127.0.0.1:$METRICS_PORT)"
java -cp "mesh-grpc/target/test-classes:mesh-grpc/target/classes:$(cat "$work/classpath.txt")" \
  io.mesh4j.grpc.telemetry.PrometheusSample "$METRICS_PORT" "$((RUN_SECONDS + 30))" \
  >"$work/sample.log" 2>&1 &
pids+=($!)

cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: mesh4j-sample
    static_configs:
      - targets: ['127.0.0.1:$METRICS_PORT']
YAML

echo "== starting Prometheus on 127.0.0.1:$PROM_PORT"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$work/prometheus.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 60); do
  if curl -fs "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null; then break; fi
  sleep 1
done
curl -fs "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null || {
  echo "Prometheus did not become ready:"; cat "$work/prometheus.log"; exit 1; }

echo "== letting traffic and scrapes run for $RUN_SECONDS s"
sleep "$RUN_SECONDS"

query='sum by (subset) (rate(mesh4j_client_requests_seconds_count{destination="catalog.shop"}[20s]))'
echo "== GET /api/v1/query: $query"
curl -fsG "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$query" >"$work/result.json"
targets=$(curl -fs "http://127.0.0.1:$PROM_PORT/api/v1/targets" |
  python3 -c 'import json,sys; print(",".join(t["health"] for t in json.load(sys.stdin)["data"]["activeTargets"]))')
echo "scrape target health: $targets"

python3 - "$work/result.json" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))["data"]["result"]
rates = {r["metric"].get("subset", "?"): float(r["value"][1]) for r in result}
for subset in sorted(rates):
    print(f"subset={subset}  {rates[subset]:.1f} requests/s")
v1, v2 = rates.get("v1", 0.0), rates.get("v2", 0.0)
if v1 <= 0 or v2 <= 0:
    sys.exit(f"FAIL: both subsets must have traffic, got {rates}")
share = v1 / (v1 + v2)
print(f"v1 share {share:.2f} (route weight 0.80)")
if not 0.70 <= share <= 0.90:
    sys.exit(f"FAIL: v1 share {share:.2f} is not near the route's 80%")
print("OK: Prometheus sees the 80/20 split per subset")
PY
