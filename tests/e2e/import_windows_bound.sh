# SPDX-License-Identifier: Apache-2.0
# Microsoft's port-exhaustion guide starts at the BOUND state (`netstat -anoq`,
# `Get-NetTCPConnection -State Bound`): a socket bound to a port and neither listening nor
# connected still holds that port. `census --from` counts such a row in its address's pool (and one
# on 0.0.0.0 as lost to every address, as a listener's port), instead of dropping it.
set -euo pipefail
: "${TIMEWAIT:?}" "${FIXTURES:?}"
out=$("$TIMEWAIT" census --from "$FIXTURES/import/windows_netstat_anoq_bound.txt" --json)
check() { [[ $(jq -c "$1" <<<"$out") == "$2" ]] || { echo "$1: $(jq -c "$1" <<<"$out"), want $2"; jq .port_pressure <<<"$out"; exit 1; }; }
check .port_pressure.bound_only.sockets 4
check '.port_pressure.bind_pools[0].local' '"10.0.0.5"'
check '.port_pressure.bind_pools[0].bound_only' 3
check '.port_pressure.bind_pools[0].ports_held' 6
# The dynamic range 49152-65535 less the port bound on 0.0.0.0.
check '.port_pressure.bind_pools[0].available' 16383
# connect() skips the bound ports (bind buckets) toward every destination too.
check '[.port_pressure.tuples[].available] | unique' '[16380]'
# The same from PowerShell: its fixture has one Bound row on 0.0.0.0:50600.
ps=$("$TIMEWAIT" census --from "$FIXTURES/import/powershell_csv.txt" --json)
[[ $(jq .port_pressure.bound_only.sockets <<<"$ps") -ge 1 ]] || { jq .port_pressure <<<"$ps"; exit 1; }
[[ $(jq .port_pressure.bound_only.visible <<<"$ps") == true ]] || { jq .port_pressure <<<"$ps"; exit 1; }
echo ok
