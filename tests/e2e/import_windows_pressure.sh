# SPDX-License-Identifier: Apache-2.0
# A Windows dump gets Windows' port pool: port pressure of `census --from` a `netstat -ano` uses
# the Vista+ dynamic range 49152-65535 and says it assumed it.
set -euo pipefail
: "${TIMEWAIT:?}" "${FIXTURES:?}"
out=$("$TIMEWAIT" census --from "$FIXTURES/import/windows_netstat_ano.txt" --json)
range=$(jq -c .port_pressure.range <<<"$out")
[[ $range == "[49152,65535]" ]] || { echo "range $range"; exit 1; }
jq -r .note <<<"$out" | grep -qi "windows" || { echo "note: $(jq -r .note <<<"$out")"; exit 1; }
# The local ports 50412-50425 toward 20.190.151.7:443 and 10.0.0.9:1433 are in that pool.
tuples=$(jq '[.port_pressure.tuples[]? | select(.in_use > 0)] | length' <<<"$out")
[[ $tuples -ge 2 ]] || { echo "tuples: $tuples"; jq .port_pressure <<<"$out"; exit 1; }
echo ok
