#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# census --save under wine (sources/output_file_win32.cc): a new file, then replaced whole; the
# snapshot reads back with --from; a directory at the path is refused as bad input.
set -euo pipefail
: "${TIMEWAIT_EXE:?}"
WINE=${WINE:-wine}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
tw() { "$WINE" "$TIMEWAIT_EXE" "$@"; }
tw census --save "$work/snap.json" >/dev/null
printf 'old text that must go\n%.0s' {1..2000} >"$work/snap.json"
tw census --save "$work/snap.json" --json >"$work/live.json"
grep -q 'old text' "$work/snap.json" && fail "the snapshot was not replaced whole"
[[ -z $(find "$work" -name '.snap.json.tmp-*') ]] || fail "a temporary file was left"
grep -q $'\r' "$work/snap.json" && fail "the snapshot has CRs (written in text mode)"
tw census --from "$work/snap.json" --json >"$work/from.json"
[[ $(jq -r .host.os "$work/from.json") == windows ]] || fail "snapshot host.os"
[[ $(jq -c .states "$work/from.json") == $(jq -c .states "$work/live.json") ]] ||
  fail "the snapshot's states differ from the census that wrote it"
mkdir "$work/dir"
rc=0
err=$(tw census --save "$work/dir" 2>&1 >/dev/null) || rc=$?
[[ $rc == 2 && $err == *"is a directory"* ]] || fail "--save DIR: exit $rc: $err"
echo "ok: census --save writes, replaces and reads back under wine"
