#!/usr/bin/env bash
# Records one window of a row (default mesh4j-all) with JDK Flight Recorder and summarises where
# the client's CPU samples were: benchmarks/scripts/profile.sh [row] [seconds]
# Needs benchmarks/target/benchmarks.jar (benchmarks/run.sh builds it).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROW="${1:-mesh4j-all}"
SECONDS_PER_ROW="${2:-20}"
OUT="benchmarks/target/profile-${ROW}.jfr"
java -Xms1g -Xmx1g -cp benchmarks/target/benchmarks.jar io.mesh4j.benchmarks.load.LoadHarness \
  --rows "$ROW" --rate none --rounds 1 --seconds "$SECONDS_PER_ROW" --warmup 5 --no-sidecars \
  --no-results --profile "$ROW" --profile-file "$OUT" > "benchmarks/target/profile-${ROW}.md"
grep -E "^\| (grpc-plain|$ROW) \|" "benchmarks/target/profile-${ROW}.md" || true
java -cp benchmarks/target/benchmarks.jar io.mesh4j.benchmarks.load.JfrSummary "$OUT"
