#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The doctor, offline on a saved Linux snapshot: a 4.9 host with tcp_tw_recycle on and a
# destination at 95 % of a 100-port range, still churning at ~1.5/s: its 5 free ports go in a
# few seconds. Exit status 4 (critical), and the findings say why.
set -u
out=$("$TIMEWAIT" doctor --from "$FIXTURES/doctor/linux-snapshot.json")
rc=$?
fail() { echo "FAIL: $*"; echo "$out"; exit 1; }
[ "$rc" -eq 4 ] || fail "exit status $rc, want 4 (critical)"
grep -q '^critical  tcp-tw-recycle ' <<<"$out" || fail "no critical tcp-tw-recycle"
grep -q '^critical  port-pressure .*10.0.0.9:8080: ephemeral ports exhausted in ~3 s' <<<"$out" ||
  fail "no port-pressure with its ETA"
grep -q '1. Reuse connections: HTTP keep-alive' <<<"$out" || fail "no keep-alive fix first"
# Nobody in the snapshot holds the tuple's ports: no application's snippet (nginx's) is shown.
! grep -q 'proxy_http_version 1.1;' <<<"$out" || fail "an nginx snippet for an unknown owner"
grep -q '^worst: critical (exit status 4)$' <<<"$out" || fail "no summary line"
echo ok
