#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Exporter soak (issue 24; part of `make bench`, never of `make test`): `timewait exporter` in a
# namespace of its own, with its default bounds, under bench/exporter_soak for SOAK_SECONDS
# (default 60): 500 well-behaved scrapers (127.0.0.1 and 127.0.1.1-9) while 1,000 idle
# connections, 100 slowloris clients and 8 header floods come from 127.0.0.2-9. Prints whether
# every scrape was answered, latency percentiles, the exporter's RSS and descriptors; exit 1 when
# a target is missed. Everything it made is removed at the end, on error and on Ctrl-C.
#
#   bash bench/exporter_soak.sh [BUILD_DIR]   # SOAK_SECONDS, SOAK_SCRAPERS, SOAK_PAUSE_MS
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(realpath -m "${1:-$ROOT/build}")
die() { echo "exporter soak: error: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "needs root (a network namespace)"
cmake --build "$BUILD" --target timewait exporter_soak -j"$(nproc)" >"$BUILD/exporter-soak-build.log" 2>&1 ||
  die "build failed (see $BUILD/exporter-soak-build.log)"
NS=twbench-soak-$$ WORK=$(mktemp -d) EXPORTER_PID=""
cleanup() {
  [[ -n $EXPORTER_PID ]] && kill "$EXPORTER_PID" 2>/dev/null && wait "$EXPORTER_PID" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "$WORK"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$NS"
ip -n "$NS" link set lo up
# The exporter with its defaults; `ip netns exec` execs it, so $! is the exporter itself.
ip netns exec "$NS" "$BUILD/timewait" exporter --listen 127.0.0.1:10040 2>"$WORK/exporter.log" &
EXPORTER_PID=$!
for _ in $(seq 100); do grep -qs "listening on" "$WORK/exporter.log" && break; sleep 0.1; done
grep -qs "listening on" "$WORK/exporter.log" || die "the exporter did not start: $(cat "$WORK/exporter.log")"
rc=0
ip netns exec "$NS" "$BUILD/bench/exporter_soak" --port 10040 --pid "$EXPORTER_PID" \
  --seconds "${SOAK_SECONDS:-60}" --scrapers "${SOAK_SCRAPERS:-500}" \
  --pause-ms "${SOAK_PAUSE_MS:-1000}" || rc=$?
kill -TERM "$EXPORTER_PID"
wait "$EXPORTER_PID" || die "the exporter exited with status $? on SIGTERM"
EXPORTER_PID=""
echo "  exporter            $(tail -1 "$WORK/exporter.log")"
exit "$rc"
