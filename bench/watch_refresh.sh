#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# How long one `timewait watch` refresh takes on a namespace holding N sockets (default 100,000
# TIME_WAIT): the census, the forecasts and every doctor rule, as the screen does each interval.
#
#   bash bench/watch_refresh.sh [BUILD_DIR]      (BENCH_N, BENCH_REFRESHES to change the sizes)
#
# Fills a namespace twbench-watch-<pid> with bench/tw_factory (sysctls set inside it only), runs
# `timewait watch --json` for BENCH_REFRESHES refreshes and prints each refresh's census_seconds
# (min, median, max); removes the namespace at the end. Needs root.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(realpath -m "${1:-$ROOT/build}")
N=${BENCH_N:-100000}
REFRESHES=${BENCH_REFRESHES:-10}
NS=twbench-watch-$$
WORK=$(mktemp -d)
cleanup() {
  [[ -n ${FACTORY_PID:-} ]] && kill "$FACTORY_PID" 2>/dev/null && wait "$FACTORY_PID" 2>/dev/null
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
cmake --build "$BUILD" --target timewait tw_factory -j"$(nproc)" >"$WORK/build.log" 2>&1
ip netns add "$NS"
ip netns exec "$NS" sh -c "ip link set lo up && sysctl -qw net.ipv4.tcp_max_tw_buckets=$((2 * N + 100000)) \
  net.ipv4.tcp_tw_reuse=0 'net.ipv4.ip_local_port_range=1024 65535' net.core.somaxconn=65535"
"$BUILD/bench/tw_factory" --netns "$NS" --time-wait "$N" --established 100 --ready "$WORK/ready" \
  --hold 300 --max-seconds 50 2>"$WORK/factory.log" &
FACTORY_PID=$!
while [[ ! -f $WORK/ready ]]; do
  kill -0 "$FACTORY_PID" 2>/dev/null || { cat "$WORK/factory.log" >&2; exit 1; }
  sleep 0.2
done
echo "sockets made: $(sed -n 's/^time_wait_made=//p' "$WORK/ready") TIME_WAIT in $NS"
"$BUILD/timewait" watch --netns "$NS" --json --interval 1 \
  --count "$REFRESHES" >"$WORK/out.jsonl"
jq -r '.census_seconds' "$WORK/out.jsonl" | sort -n | awk '
  { v[NR] = $1 } END { printf "refreshes %d: census %.3f s min, %.3f s median, %.3f s max\n", NR, v[1], v[int((NR + 1) / 2)], v[NR] }'
jq -r '"TIME-WAIT counted \(.states["TIME-WAIT"].count), sockstat tw \(.sockstat_tw)"' "$WORK/out.jsonl" | tail -1
