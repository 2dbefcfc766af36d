# SPDX-License-Identifier: Apache-2.0
# `census --from FIXTURE --json` reads every import fixture to the hand-checked counts of its
# .expected file (format, states, total), with the format detected; the JSON must be valid (a dump
# in a Windows code page holds bytes that are no UTF-8).
set -euo pipefail
: "${TIMEWAIT:?path of the timewait binary}" "${FIXTURES:?tests/fixtures}"
dir=$FIXTURES/import
# netstat-style names in .expected -> the filter names of the census JSON.
declare -A key=([ESTABLISHED]=established [SYN_SENT]=syn-sent [SYN_RECV]=syn-recv
  [FIN_WAIT1]=fin-wait-1 [FIN_WAIT2]=fin-wait-2 [TIME_WAIT]=time-wait [CLOSE]=closed
  [CLOSE_WAIT]=close-wait [LAST_ACK]=last-ack [LISTEN]=listening [CLOSING]=closing)
checked=0
# real/: captures of other projects and of this machine (real/README.md).
for exp in "$dir"/*.expected "$dir"/real/*.expected; do
  base=${exp%.expected}
  name=$(basename "$base")
  format=$(awk '$1=="format"{print $2}' "$exp")
  sockets=$(awk '$1=="sockets"{print $2}' "$exp")
  args=()
  implied=$(awk '$1=="implied"{print $2}' "$exp")
  [[ -n $implied ]] && args=(--state "${key[$implied]}")
  input=$base.txt
  [[ -f $input ]] || input=$base.bin  # binary dumps (ss -D)
  out=$("$TIMEWAIT" census --from "$input" "${args[@]}" --json)
  got_source=$(jq -r .host.source <<<"$out")
  [[ $got_source == "import:$format" ]] || { echo "$name: source $got_source, want import:$format"; exit 1; }
  got_total=$(jq .total <<<"$out")
  [[ $got_total == "$sockets" ]] || { echo "$name: total $got_total, want $sockets"; exit 1; }
  sum=0
  while read -r _ state n; do
    got=$(jq ".states[\"${key[$state]}\"]" <<<"$out")
    [[ $got == "$n" ]] || { echo "$name: $state $got, want $n"; exit 1; }
    sum=$((sum + n))
  done < <(grep '^state ' "$exp")
  [[ $sum == "$sockets" ]] || { echo "$name: .expected states add to $sum, not $sockets"; exit 1; }
  checked=$((checked + 1))
done
[[ $checked -ge 35 ]] || { echo "only $checked fixtures found in $dir"; exit 1; }
echo "ok: $checked fixtures"
