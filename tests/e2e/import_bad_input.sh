# SPDX-License-Identifier: Apache-2.0
# Bad input to `census --from`: clear messages, exit 2 where nothing usable was read; lines that
# fit no format are skipped and counted (or stop the run with --strict), never silently.
set -euo pipefail
: "${TIMEWAIT:?}" "${FIXTURES:?}"
tmp=$(mktemp -d /tmp/twimp-e2e-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

expect_fail() {  # expect_fail TEXT ARGS...: exit status 2 and TEXT in the error
  local want=$1; shift
  set +e
  "$TIMEWAIT" census "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  set -e
  [[ $rc == 2 ]] || { echo "census $*: exit $rc, want 2"; cat "$tmp/err"; exit 1; }
  grep -qF -- "$want" "$tmp/err" || { echo "census $*: no '$want' in:"; cat "$tmp/err"; exit 1; }
}

expect_fail "does not exist" --from "$tmp/nope.txt"
: >"$tmp/empty.txt"
expect_fail "is empty" --from "$tmp/empty.txt"
printf '\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03binary' >"$tmp/dump.gz"
expect_fail "looks binary" --from "$tmp/dump.gz"
printf 'hello\nworld\n' >"$tmp/readme.txt"
expect_fail "cannot tell the format" --from "$tmp/readme.txt"
expect_fail "unknown format" --from "$FIXTURES/import/ss_tan.txt" --format tcpdump
expect_fail "--state" --from "$FIXTURES/import/ss_tan_state_tw.txt"

# One bad line among good ones: skipped and reported with file and line; --strict stops there.
{ head -5 "$FIXTURES/import/ss_tan.txt"; echo "ESTAB 0 0 not-an-address 10.0.0.2:80"; } >"$tmp/dirty.txt"
out=$("$TIMEWAIT" census --from "$tmp/dirty.txt" --json)
[[ $(jq .total <<<"$out") == 4 ]] || { echo "dirty total: $(jq .total <<<"$out")"; exit 1; }
jq -r .note <<<"$out" | grep -qF "skipped 1 of 6 lines" || { echo "note: $(jq -r .note <<<"$out")"; exit 1; }
jq -r .note <<<"$out" | grep -qF "$tmp/dirty.txt:6:" || { echo "note lacks FILE:LINE"; exit 1; }
expect_fail "$tmp/dirty.txt:6:" --from "$tmp/dirty.txt" --strict
echo ok
