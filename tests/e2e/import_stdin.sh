# SPDX-License-Identifier: Apache-2.0
# `census --from -` reads a dump piped on standard input, and every view works on it.
set -euo pipefail
: "${TIMEWAIT:?}" "${FIXTURES:?}"
out=$("$TIMEWAIT" census --from - --json < "$FIXTURES/import/ss_tan.txt")
[[ $(jq .total <<<"$out") == 30 ]] || { echo "total: $(jq .total <<<"$out")"; exit 1; }
[[ $(jq .states[\"time-wait\"] <<<"$out") == 6 ]]
# Grouped by tuple: the four IPv4 TIME-WAITs share 127.0.0.1 -> 127.0.0.1:8080.
out=$(cat "$FIXTURES/import/ss_tan.txt" | "$TIMEWAIT" census --from - --by tuple --json)
rows=$(jq '.groups.rows | length' <<<"$out")
[[ $rows -gt 1 ]] || { echo "groups: $rows"; exit 1; }
# Standard input in UTF-16 (Windows PowerShell 5 `netstat -ano > FILE`).
out=$("$TIMEWAIT" census --from - --json < "$FIXTURES/import/windows_netstat_ano_utf16.txt")
[[ $(jq .total <<<"$out") == 21 ]]
[[ $(jq -r .host.os <<<"$out") == windows ]]
echo ok
