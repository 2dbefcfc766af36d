#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# timewait.exe census --json, under wine in a namespace of its own, counts what ss counts there:
# LISTEN, ESTABLISHED, CLOSE_WAIT, TIME_WAIT (and the closing client's FIN_WAIT2), IPv4 and IPv6,
# made on loopback by tests/windows/make_sockets.cc. Wine reports owning pid 0 for every row
# (docs/WINDOWS.md), so owners are not compared here; tcp_table_win32_test covers them.
set -euo pipefail
source "$(dirname "$0")/wine_netns.bash"
: "${MAKE_SOCKETS:?}"
in_ns "$WINE" "$MAKE_SOCKETS" "$work/stop" >"$work/ready" &
helper=$!
for _ in $(seq 150); do
  grep -q ready "$work/ready" && break
  kill -0 "$helper" 2>/dev/null || fail "make_sockets ended early"
  sleep 0.2
done
grep -q ready "$work/ready" || fail "make_sockets not ready after 30 s"

# Addresses lose ss's IPv6 brackets.
snapshot() { in_ns ss -tanH | awk '{gsub(/[][]/, ""); print $1, $4, $5}' | sort; }
before=$(snapshot)
in_ns "$WINE" "$TIMEWAIT_EXE" census --json --by tuple --top 0 >"$work/census.json"
after=$(snapshot)
touch "$work/stop"
wait "$helper"
[[ $before == "$after" ]] || fail "sockets changed while the census ran: $before / $after"

# ss's state names as the census JSON spells them (model/tcp_state).
counts() {
  awk '{n[$1]++} END {for (s in n) print s, n[s]}' |
    sed 's/^ESTAB /established /; s/^LISTEN /listening /' | tr 'A-Z' 'a-z' | sort
}
want=$'close-wait 2\nestablished 4\nfin-wait-2 2\nlistening 2\ntime-wait 2'
[[ $(counts <<<"$before") == "$want" ]] || fail "make_sockets made: $(counts <<<"$before")"
got=$(jq -r '.states | to_entries[] | select(.value > 0) | "\(.key) \(.value)"' \
  "$work/census.json" | sort)
[[ $got == "$want" ]] || fail "census states: $got, ss: $want"
[[ $(jq -r .host.os "$work/census.json") == windows ]] || fail "host.os"
[[ $(jq -r .host.source "$work/census.json") == iphlpapi ]] || fail "host.source"

# Every connection's tuple (local address, remote address, remote port), both families.
ss_tuples=$(awk '$1 != "LISTEN" {
    l = $2; sub(/:[0-9]+$/, "", l); r = $3; p = r; sub(/:[0-9]+$/, "", r); sub(/.*:/, "", p)
    print l, r, p }' <<<"$before" | sort | uniq -c)
tw_tuples=$(jq -r '.groups.rows[] | select(.key.remote_port != 0) |
    "\(.key.local) \(.key.remote) \(.key.remote_port) \(.total)"' "$work/census.json" |
  awk '{for (i = 0; i < $4; i++) print $1, $2, $3}' | sort | uniq -c)
[[ $ss_tuples == "$tw_tuples" ]] || fail $'tuples differ:\nss:\n'"$ss_tuples"$'\ncensus:\n'"$tw_tuples"
grep -q '::1' <<<"$tw_tuples" || fail "no IPv6 tuple counted"
grep -q '127.0.0.1' <<<"$tw_tuples" || fail "no IPv4 tuple counted"
echo "ok: census under wine matches ss ($(wc -l <<<"$before") sockets)"
