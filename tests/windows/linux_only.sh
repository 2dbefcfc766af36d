#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# On Windows, what needs Linux says so in --help and is refused as a usage error (exit 2).
set -euo pipefail
: "${TIMEWAIT_EXE:?}"
WINE=${WINE:-wine}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
tw() { "$WINE" "$TIMEWAIT_EXE" "$@"; }
tw --help | grep -q '(Linux only) eBPF' || fail "--help does not mark trace Linux-only"
tw census --help | tr -s ' \n' ' ' | grep -q 'ip netns list) (Linux only)' ||
  fail "census --help does not mark --netns"
tw doctor --help | grep -q -- '--events' || fail "doctor --help has no --events"
for args in "census --netns x" "census --source proc" "doctor --apply" "doctor --trace 5" \
  "lab --list" "trace" "doctor --events 1w"; do
  rc=0
  err=$(tw $args 2>&1 >/dev/null) || rc=$?
  [[ $rc == 2 ]] || fail "timewait $args: exit $rc, want 2"
  [[ $err == "timewait: error: "* && $(wc -l <<<"$err") == 1 ]] || fail "timewait $args: $err"
done
echo "ok: Linux-only commands and options are marked and refused"
