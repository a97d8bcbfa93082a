#!/usr/bin/env bash
# bench/run.sh - build the optimised binary, serve a fresh data directory,
# run the shared DynamoDB load harness against it, stop the server.
#
#   bench/run.sh [loadgen options]      default: -d 5 -r 3 -c 1,16,64
#
# Environment: PORT (default 8001), BUILD (default build-perf),
# LOADGEN (default ../shared/tools/loadgen/run.sh next to this checkout).
# The harness is not part of this tree; without it the server is only
# built and started, so the script checks that much and stops.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT=${PORT:-8001}
BUILD=${BUILD:-build-perf}
LOADGEN=${LOADGEN:-$ROOT/../shared/tools/loadgen/run.sh}
[ $# -gt 0 ] || set -- -d 5 -r 3 -c 1,16,64

make -C "$ROOT" BUILD="$BUILD" OPT="-O2 -g" -j2 >/dev/null
DATA=$(mktemp -d /tmp/stepwise-bench.XXXXXX)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$DATA"
}
trap cleanup EXIT INT TERM

"$ROOT/$BUILD/stepwise" serve --port "$PORT" --data "$DATA/data" >"$DATA/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DATA/serve.log" >&2; exit 1; }
  sleep 0.1
done
echo "stepwise $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') serving on :$PORT (pid $SERVER_PID, data $DATA/data)"

if [ -x "$LOADGEN" ]; then
  "$LOADGEN" -p "$SERVER_PID" "$@" "http://127.0.0.1:$PORT"
else
  echo "no load harness at $LOADGEN: built and started the server only" >&2
fi
