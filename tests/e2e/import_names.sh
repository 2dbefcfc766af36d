# SPDX-License-Identifier: Apache-2.0
# What users paste: dumps taken without -n (names), plain Windows netstat, netstat -anob owners,
# BSD -T without a state column, and ss -D's raw dump.
set -euo pipefail
: "${TIMEWAIT:?}" "${FIXTURES:?}"
dir=$FIXTURES/import
fail() { echo "$*"; exit 1; }

# netstat -ta without -n: every socket counted (the pair on the long IPv6 address too, that address
# cut by netstat's column and kept as printed); named and cut tuples listed, not measured.
out=$("$TIMEWAIT" census --from "$dir/netstat_ta.txt" --by tuple --json)
[[ $(jq .total <<<"$out") == 30 ]] || fail "netstat -ta total $(jq .total <<<"$out")"
[[ $(jq .port_pressure.unmeasured_named_tuples.total_tuples <<<"$out") == 3 ]] ||
  fail "unmeasured: $(jq -c .port_pressure.unmeasured_named_tuples <<<"$out")"
jq -r .note <<<"$out" | grep -qF "31 of 60 endpoints were host or service names" ||
  fail "note: $(jq -r .note <<<"$out")"
table=$("$TIMEWAIT" census --from "$dir/netstat_ta.txt" --by peer)
grep -qE '^localhost +7 ' <<<"$table" || fail "no localhost group in: $table"
grep -qF "not measured: 3 tuples with host or service names (capture with -n" <<<"$table" ||
  fail "no unmeasured note in: $table"

# Plain Windows netstat: detected as Windows, 13 sockets (it read as Linux netstat: 0, exit 0).
out=$("$TIMEWAIT" census --from "$dir/windows_netstat_plain.txt" --json)
[[ $(jq -r .host.source <<<"$out") == import:netstat-windows ]] || fail "source $(jq -r .host.source <<<"$out")"
[[ $(jq .total <<<"$out") == 13 ]] || fail "windows plain total $(jq .total <<<"$out")"

# netstat -anob: the owner lines are no skipped lines, so --strict passes.
"$TIMEWAIT" census --from "$dir/windows_netstat_anob_utf16.txt" --strict >/dev/null ||
  fail "--strict refused a clean netstat -anob"

# BSD -T has no state column: exit 2 saying so.
set +e
err=$("$TIMEWAIT" census --from "$dir/freebsd_netstat_anT.txt" 2>&1 >/dev/null)
rc=$?
set -e
[[ $rc == 2 ]] || fail "netstat -T: exit $rc"
grep -qF "no state column" <<<"$err" || fail "netstat -T: $err"

# ss -D: binary, read with the live parser; TIME_WAIT timers give the rate.
out=$("$TIMEWAIT" census --from "$dir/ss_D.bin" --json)
[[ $(jq -r .host.source <<<"$out") == import:ss-diag ]] || fail "ss -D source"
[[ $(jq .time_wait.with_timer <<<"$out") == 6 ]] || fail "ss -D timers $(jq -c .time_wait <<<"$out")"
echo ok
