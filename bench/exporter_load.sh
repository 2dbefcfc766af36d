#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Exporter load benchmark (issue 15): a namespace holding N TIME_WAIT sockets (default 100k,
# made by bench/tw_factory), `timewait exporter --netns` on loopback, then C scrapers for S
# seconds (bench/exporter_load: no error, latency percentiles, RSS before/after).
#
#   bash bench/exporter_load.sh [BUILD_DIR]      # EXPORTER_N, EXPORTER_CLIENTS, EXPORTER_SECONDS
#
# Needs root. The scrapers and the exporter run in a namespace of their own, so the load's own
# connections never land in the host's or the measured namespace's tables. Everything it made is
# removed at the end, on error and on Ctrl-C.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(realpath -m "${1:-$ROOT/build}")
N=${EXPORTER_N:-100000}
CLIENTS=${EXPORTER_CLIENTS:-50}
SECONDS_=${EXPORTER_SECONDS:-20}
die() { echo "exporter bench: error: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "needs root (network namespaces)"
cmake --build "$BUILD" --target timewait tw_factory exporter_load -j"$(nproc)" >"$BUILD/exporter-bench-build.log" 2>&1 ||
  die "build failed (see $BUILD/exporter-bench-build.log)"
NS=twbench-exp-$$ LOADNS=twbench-exl-$$ WORK=$(mktemp -d) FACTORY_PID="" EXPORTER_PID=""
cleanup() {
  [[ -n $EXPORTER_PID ]] && kill "$EXPORTER_PID" 2>/dev/null && wait "$EXPORTER_PID" 2>/dev/null
  [[ -n $FACTORY_PID ]] && kill "$FACTORY_PID" 2>/dev/null && wait "$FACTORY_PID" 2>/dev/null
  ip netns del "$NS" 2>/dev/null; ip netns del "$LOADNS" 2>/dev/null; rm -rf "$WORK"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$NS" && ip netns add "$LOADNS"
ip -n "$LOADNS" link set lo up
ip netns exec "$NS" sh -c "ip link set lo up && sysctl -qw net.ipv4.tcp_max_tw_buckets=$((2 * N + 100000)) \
  'net.ipv4.ip_local_port_range=1024 65535' net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535"
"$BUILD/bench/tw_factory" --netns "$NS" --time-wait "$N" --threads "$(nproc)" --ready "$WORK/ready" \
  --hold 300 --max-seconds 40 2>"$WORK/factory.log" &
FACTORY_PID=$!
for _ in $(seq 600); do [[ -f $WORK/ready ]] && break; sleep 0.1; done
[[ -f $WORK/ready ]] || die "the factory did not finish: $(cat "$WORK/factory.log")"
made=$(sed -n 's/^time_wait_made=//p' "$WORK/ready")
((made == N)) || die "the factory made $made of $N TIME_WAIT sockets (machine busy?)"
ip netns exec "$LOADNS" "$BUILD/timewait" exporter --listen 127.0.0.1:10040 --netns "$NS" 2>"$WORK/exporter.log" &
EXPORTER_PID=$!
for _ in $(seq 100); do grep -q "listening on" "$WORK/exporter.log" && break; sleep 0.1; done
grep -q "listening on" "$WORK/exporter.log" || die "exporter did not start: $(cat "$WORK/exporter.log")"
tw=$(ip netns exec "$LOADNS" curl -s http://127.0.0.1:10040/metrics | awk -v ns="$NS" '$1 == "timewait_sockstat_tcp_tw{netns=\"" ns "\"}" {print $2}')
echo "exporter bench: $N TIME_WAIT made; the exporter sees sockstat tw = $tw; $CLIENTS scrapers for $SECONDS_ s"
# TIME_WAIT lasts 60 s: the load ends before the first sockets expire (factory <= 40 s + 20 s).
ip netns exec "$LOADNS" "$BUILD/bench/exporter_load" --port 10040 --pid "$EXPORTER_PID" \
  --clients "$CLIENTS" --seconds "$SECONDS_"
