#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Exporter CPU on a node of 100 namespaces and ~1M sockets (issue 27): bench/all_netns builds its
# node A (--node-run), then this script, run beside it, measures in turn
#   1. timewait exporter --all-netns (the one walk of the shared table, source bpf:all-netns),
#   2. the same with --source netlink (one inet_diag dump per namespace),
#   3. prometheus-node-exporter with only its tcpstat collector (the host's namespace only),
# each: started, one scrape to warm up (BPF program load; not for netlink: 25 s a scrape, and
# TIME_WAIT expires), then K scrapes with curl; its CPU (utime + stime of all threads, /proc/PID/stat) before and after -> CPU seconds per
# scrape, x240 for an hour at a 15 s scrape interval. Scrapes come back to back: the CPU of a
# scrape does not depend on the interval (--min-interval 0: every scrape reads the node).
#
#   bash bench/exporter_node_cpu.sh [BUILD_DIR] [TIMEWAIT]   # TIMEWAIT: the binary measured
#                                                            # (default BUILD_DIR/timewait)
#   EXPCPU_SCRAPES (default 8), EXPCPU_NETLINK_SCRAPES (default 2: a scrape takes 12-25 s there),
#   EXPCPU_ORDER (default "walk node netlink": what is measured, in that order)
#
# Needs root, curl, prometheus-node-exporter (run directly, never as a service). TIME_WAIT lasts
# 60 s: the one walk and node_exporter come first; BIG's sockstat before and after each
# measurement says what the node held meanwhile. Bounded: every curl 120 s, every process killed
# at the end; all_netns removes the namespaces when this script ends (or on Ctrl-C).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() { echo "exporter_node_cpu: error: $*" >&2; exit 1; }

if [[ ${1:-} != --measure ]]; then
  BUILD=$(realpath -m "${1:-$ROOT/build}")
  TW=$(realpath -m "${2:-$BUILD/timewait}")
  [[ $(id -u) == 0 ]] || die "needs root (network namespaces, BPF)"
  command -v curl >/dev/null || die "needs curl"
  command -v prometheus-node-exporter >/dev/null || die "needs prometheus-node-exporter (apt-get install prometheus-node-exporter; it is run directly, not as a service)"
  targets=(all_netns tw_factory)
  [[ -z ${2:-} ]] && targets+=(timewait)
  cmake --build "$BUILD" --target "${targets[@]}" -j2 >"$BUILD/exporter-node-cpu-build.log" 2>&1 ||
    die "build failed (see $BUILD/exporter-node-cpu-build.log)"
  [[ -x $TW ]] || die "no timewait binary at $TW"
  echo "exporter_node_cpu: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs, timewait: $TW"
  TW="$TW" exec "$BUILD/bench/all_netns" --node-run "bash '${BASH_SOURCE[0]}' --measure"
fi

# --measure: beside node A (TWBENCH_BIG, TWBENCH_MADE from all_netns).
K=${EXPCPU_SCRAPES:-8}
KN=${EXPCPU_NETLINK_SCRAPES:-2}
TICK=$(getconf CLK_TCK)
WORK=$(mktemp -d) PID=""
cleanup() {
  if [[ -n $PID ]]; then kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi
  rm -rf "$WORK"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
echo "node: BIG=$TWBENCH_BIG holds $TWBENCH_MADE TIME_WAIT made by tw_factory, 200,000 ESTABLISHED connections; 99 namespaces of 1,000 connections and a listener"

cpu_of() { sed 's/.*) //' "/proc/$1/stat" | awk -v t="$TICK" '{printf "%.2f %.2f", $12 / t, $13 / t}'; }
big_sockstat() { ip netns exec "$TWBENCH_BIG" awk '/^TCP:/ {print "inuse " $3 ", tw " $7}' /proc/net/sockstat; }

# measure NAME PORT WARM SCRAPES SUM_AWK COMMAND...: SUM_AWK sums the sockets a scrape reports;
# WARM 1: one scrape first, not counted.
measure() {
  local name=$1 port=$2 warm=$3 k=$4 sum=$5
  shift 5
  "$@" >"$WORK/log" 2>&1 &
  PID=$!
  local url=http://127.0.0.1:$port/metrics ok=""
  for _ in $(seq 300); do # the landing page: served without reading any socket
    kill -0 "$PID" 2>/dev/null || die "$name exited: $(head -c 2000 "$WORK/log")"
    if curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$port/"; then ok=1; break; fi
    sleep 0.2
  done
  [[ -n $ok ]] || die "$name did not serve $url: $(head -c 2000 "$WORK/log")"
  if ((warm)); then curl -sf -o /dev/null --max-time 120 "$url" || die "$name: the warm-up scrape failed"; fi
  local before after c0 c1 w0 w1 socks=""
  before=$(big_sockstat)
  c0=$(cpu_of "$PID")
  w0=$(date +%s.%N)
  for _ in $(seq "$k"); do
    curl -sf --max-time 120 "$url" >"$WORK/body" || die "$name: a scrape failed"
    socks+="$(awk "$sum" "$WORK/body") "
  done
  w1=$(date +%s.%N)
  c1=$(cpu_of "$PID")
  after=$(big_sockstat)
  kill "$PID"
  wait "$PID" 2>/dev/null || true
  PID=""
  awk -v n="$name" -v k="$k" -v c0="$c0" -v c1="$c1" -v w0="$w0" -v w1="$w1" 'BEGIN {
    split(c0, a, " "); split(c1, b, " ")
    u = (b[1] - a[1]) / k; s = (b[2] - a[2]) / k; c = u + s
    printf "%-44s %2d scrapes  %6.3f CPU s/scrape (user %.3f, system %.3f)  %7.1f CPU s/hour at 15 s  %6.2f s wall/scrape\n", n, k, c, u, s, c * 240, (w1 - w0) / k }'
  echo "    sockets per scrape (as it reports them): ${socks}; BIG before: $before; after: $after"
}

SUM_TW='/^timewait_sockets\{/ {s += $NF} /^timewait_census_source_info\{/ {n++; src[$0 ~ /bpf:all-netns/ ? "bpf:all-netns" : "other"]++} END {printf "%d in %d namespaces (%d bpf:all-netns)", s, n, src["bpf:all-netns"]}'
SUM_NE='/^node_tcp_connection_states\{/ {s += $NF} END {printf "%d", s}'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for m in ${EXPCPU_ORDER:-walk node netlink}; do
  case $m in
    walk) measure "timewait exporter --all-netns (one walk)" 18951 1 "$K" "$SUM_TW" \
      "$TW" exporter --all-netns --listen 127.0.0.1:18951 --min-interval 0 ;;
    node) measure "node_exporter tcpstat (host namespace only)" 18952 1 "$K" "$SUM_NE" \
      prometheus-node-exporter --collector.disable-defaults --collector.tcpstat \
      --web.listen-address 127.0.0.1:18952 ;;
    netlink) measure "timewait exporter --all-netns --source netlink" 18953 0 "$KN" "$SUM_TW" \
      "$TW" exporter --all-netns --source netlink --listen 127.0.0.1:18953 --min-interval 0 ;;
    *) die "EXPCPU_ORDER: $m is not walk, node or netlink" ;;
  esac
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
