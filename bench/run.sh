#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Census benchmark (`make bench`): how fast `timewait census` counts N TIME_WAIT sockets compared
# with ss, netstat|awk and a raw inet_diag dump (the floor), and how much memory each uses.
#
#   bash bench/run.sh [BUILD_DIR] [OUT_JSON]
#
#   BUILD_DIR  CMake build directory (default: ./build); configured (RelWithDebInfo) if needed, and
#              the targets timewait tw_factory diag_floor tw_timeit are built in it.
#   OUT_JSON   where the results go (default: bench/results.json).
#   BENCH_N            socket counts, default "10000 100000 1000000"
#   BENCH_REPS         timed runs per command and N, default 5
#   BENCH_ESTABLISHED  ESTABLISHED connections held open besides, default 2000
#   BENCH_THREADS      factory threads, default: number of CPUs
#   BENCH_KEEP=1       keep the commands' outputs (printed path) instead of deleting them
#   BENCH_FILL_SECONDS the factory's time limit, default 50; BENCH_FILL_TRIES, default 3: tries
#                      when the machine is too busy to make N sockets in that time
# Exit status 0 when every measurement was taken (targets met or not: the table says), 1 if not.
# Quick smoke check: BENCH_N=10000 BENCH_REPS=3 bash bench/run.sh build
#
# Needs root (network namespaces), ip, ss, netstat (net-tools), awk. For each N it creates a
# namespace twbench-<pid>-<n>-<window>-<try>, raises tcp_max_tw_buckets and widens
# ip_local_port_range there (never on the host), fills it with bench/tw_factory, checks the counts
# with `ss -s`, times every command in turn (interleaved, so that noise from other load hits all of
# them alike), and deletes the namespace. See docs/performance.md. TIME_WAIT lasts 60 s: no run starts unless it is expected to end before the first
# socket made could expire; when the repetitions do not fit in one such window, a fresh namespace
# is filled and timing goes on there.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(realpath -m "${1:-$ROOT/build}")
OUT=$(realpath -m "${2:-${BENCH_OUT:-$ROOT/bench/results.json}}")
COUNTS=${BENCH_N:-"10000 100000 1000000"}
REPS=${BENCH_REPS:-5}
EST=${BENCH_ESTABLISHED:-2000}
THREADS=${BENCH_THREADS:-$(nproc)}
# Seconds after the factory starts during which every socket it made is surely still in TIME_WAIT.
WINDOW=${BENCH_WINDOW:-57}
MAX_WINDOWS=${BENCH_MAX_WINDOWS:-6}
FILL_TRIES=${BENCH_FILL_TRIES:-3}  # attempts to fill a namespace when the machine is too busy
FILL_SECONDS=${BENCH_FILL_SECONDS:-50}  # the factory's time limit (TIME_WAIT lasts 60 s)

die() { echo "bench: error: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "needs root to create network namespaces (run as root or with sudo)"
for t in ip ss netstat awk nproc; do
  command -v "$t" >/dev/null || die "$t not found (ss: iproute2, netstat: net-tools)"
done

if [[ ! -f $BUILD/CMakeCache.txt ]]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD" --target timewait tw_factory diag_floor tw_timeit source_split \
  -j"$(nproc)" >"$BUILD/bench-build.log" 2>&1 || die "build failed in $BUILD (see $BUILD/bench-build.log)"
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
case $BUILD_TYPE in
  Release | RelWithDebInfo) ;;
  *) echo "bench: warning: $BUILD is a '${BUILD_TYPE:-no type}' build; timings are meant for RelWithDebInfo or Release" >&2 ;;
esac
TW=$BUILD/timewait
FACTORY=$BUILD/bench/tw_factory
FLOOR=$BUILD/bench/diag_floor
TIMEIT=$BUILD/bench/tw_timeit
SPLIT=$BUILD/bench/source_split

WORK=$(mktemp -d /tmp/twbench.XXXXXX)
NS=""
FACTORY_PID=""
cleanup() {
  if [[ -n $FACTORY_PID ]]; then
    kill -TERM "$FACTORY_PID" 2>/dev/null || true
    wait "$FACTORY_PID" 2>/dev/null || true
    FACTORY_PID=""
  fi
  if [[ -n $NS ]]; then
    ip netns del "$NS" 2>/dev/null || true
    NS=""
  fi
}
on_exit() {
  cleanup
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then echo "bench: outputs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }

# Commands, in the order they are timed. Each: name, kind (argv or sh), command.
# floor/floor_tw are the minimal request (one legacy TCPDIAG_GETSOCK dump: the kernel walks its
# socket hash once for both families), the request the census sends. floor_v2 is what ss 6.1
# sends (one SOCK_DIAG_BY_FAMILY dump per family: two walks), and the census's fallback. walk
# matches nothing: the kernel's walk alone, the part no reader can avoid.
# census* read the inet_diag dump (--source netlink: the census before the bpf source, on the dump
# floor); bpf* read the BPF iterator (--source bpf); auto is what `timewait census` picks itself.
NAMES=(census census_tuple census_tw bpf bpf_tuple bpf_tw auto ss_tw ss_s netstat_awk floor floor_tw floor_v2 walk)
declare -A KIND CMD
KIND[census]="argv"
CMD[census]="$TW census --source netlink"
KIND[census_tuple]="argv"
CMD[census_tuple]="$TW census --source netlink --by tuple --top 20"
KIND[census_tw]="argv"
CMD[census_tw]="$TW census --source netlink --state time-wait"
KIND[bpf]="argv"
CMD[bpf]="$TW census --source bpf"
KIND[bpf_tuple]="argv"
CMD[bpf_tuple]="$TW census --source bpf --by tuple --top 20"
KIND[bpf_tw]="argv"
CMD[bpf_tw]="$TW census --source bpf --state time-wait"
KIND[auto]="argv"
CMD[auto]="$TW census"
KIND[ss_tw]="sh"
CMD[ss_tw]="ss -tan state time-wait | wc -l"
KIND[ss_s]="argv"
CMD[ss_s]="ss -s"
KIND[netstat_awk]="sh"
CMD[netstat_awk]="netstat -n | awk '/^tcp/ {++state[\$NF]} END {for (s in state) print s, state[s]}'"
KIND[floor]="argv"
CMD[floor]="$FLOOR --unspec --states all"
KIND[floor_tw]="argv"
CMD[floor_tw]="$FLOOR --unspec --states time-wait"
KIND[floor_v2]="argv"
CMD[floor_v2]="$FLOOR --states all"
KIND[walk]="argv"
CMD[walk]="$FLOOR --unspec --states all --reject-all"

# How many TIME_WAIT sockets a command's output shows (checks that every tool saw them all).
seen() {
  local name=$1 file=$2
  case $name in
    census | census_tw | bpf | bpf_tw | auto) awk '$1 == "TIME-WAIT" {gsub(",", "", $2); print $2; exit}' "$file" ;;
    census_tuple | bpf_tuple) echo "" ;;
    ss_tw) awk '{print $1 - 1; exit}' "$file" ;;
    ss_s) sed -n 's/.*timewait \([0-9]*\).*/\1/p' "$file" | head -1 ;;
    netstat_awk) awk '$1 == "TIME_WAIT" {print $2}' "$file" ;;
    floor | floor_tw | floor_v2) head -1 "$file" ;;
    walk) echo "" ;;
  esac
}

# Creates a namespace and fills it with $1 TIME_WAIT sockets; sets NS and FACTORY_*. Returns 1
# (namespace removed) when the factory could not make them all in time: the machine is busy.
fill_once() {
  local n=$1 tag=$2
  NS=twbench-$$-$n-$tag
  # (Called in a condition, so set -e does not apply in here: every step checks itself.)
  ip netns add "$NS" || die "cannot create network namespace $NS"
  ip netns exec "$NS" sh -c "ip link set lo up &&
    sysctl -qw net.ipv4.tcp_max_tw_buckets=$((2 * n + 2 * EST + 100000)) \
      net.ipv4.tcp_tw_reuse=0 'net.ipv4.ip_local_port_range=1024 65535' \
      net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535" \
    || die "cannot set the namespace's sysctls"
  local ready=$WORK/ready-$n-$tag
  "$FACTORY" --netns "$NS" --time-wait "$n" --established "$EST" --threads "$THREADS" \
    --ready "$ready" --hold 900 --max-seconds "$FILL_SECONDS" 2>"$WORK/factory-$n-$tag.log" &
  FACTORY_PID=$!
  local waited=0
  while [[ ! -f $ready ]]; do
    kill -0 "$FACTORY_PID" 2>/dev/null || die "factory failed: $(cat "$WORK/factory-$n-$tag.log")"
    sleep 0.1
    waited=$((waited + 1))
    ((waited < 900)) || die "factory did not finish in 90 s"
  done
  FACTORY_MADE=$(sed -n 's/^time_wait_made=//p' "$ready")
  FACTORY_SECONDS=$(sed -n 's/^seconds=//p' "$ready")
  FACTORY_RATE=$(sed -n 's/^rate_per_second=//p' "$ready")
  FACTORY_START=$(sed -n 's/^started_epoch_ms=//p' "$ready")
  FACTORY_PROBLEMS=$(sed -n 's/^problems=//p' "$ready")
  ((FACTORY_MADE == n)) && return 0
  cleanup
  return 1
}

fill_namespace() {
  local n=$1 window=$2 try
  for ((try = 1; ; try++)); do
    if fill_once "$n" "$window-$try"; then
      for _ in 1 2 3 4 5 6 7 8 9 10; do  # the factory waited already; this is the check
        SS_S_TW=$(ip netns exec "$NS" ss -s | sed -n 's/.*timewait \([0-9]*\).*/\1/p' | head -1)
        ((SS_S_TW >= n)) && break
        sleep 0.2
      done
      ((SS_S_TW >= n)) && break
      # Seen on a loaded machine: one TIME_WAIT of a million gone seconds after it was counted
      # (a late segment ended it). The run needs exactly N: fill a fresh namespace.
      printf 'bench: N=%s: ss -s shows %s TIME_WAIT sockets after the factory counted %s\n' \
        "$n" "$SS_S_TW" "$n" >&2
      cleanup
    else
      printf 'bench: N=%s: the factory made only %s TIME_WAIT in %s s (%.0f/s; %s); load average %s\n' \
        "$n" "$FACTORY_MADE" "$FILL_SECONDS" "$FACTORY_RATE" "$FACTORY_PROBLEMS" "$(cut -d' ' -f1-3 /proc/loadavg)" >&2
    fi
    ((try < FILL_TRIES)) || die "N=$n needs $((n / FILL_SECONDS)) connections/s and this machine is too busy; try again when it is quieter"
    sleep 15
  done

  SS_S_EST=$(ip netns exec "$NS" ss -s | sed -n 's/.*estab \([0-9]*\).*/\1/p' | head -1)
  ((SS_S_EST >= 2 * EST)) || die "ss -s shows $SS_S_EST established sockets, expected $((2 * EST))"
  DEADLINE=$((FACTORY_START + WINDOW * 1000))
  printf 'bench: N=%s window %s: made %s TIME_WAIT in %.1f s (%.0f/s), ss -s: timewait %s estab %s\n' \
    "$n" "$window" "$FACTORY_MADE" "$FACTORY_SECONDS" "$FACTORY_RATE" "$SS_S_TW" "$SS_S_EST" >&2
}

tw_now() { ip netns exec "$NS" awk '/^TCP:/ {for (i = 2; i < NF; i += 2) if ($i == "tw") print $(i + 1)}' /proc/net/sockstat; }

# Sorted samples -> min and median.
stats() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR] = $1} END {
  m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%s %s\n", a[1], m }'; }

JSON_RUNS=()
WARNINGS=()
declare -A SUMMARY TARGETS

for n in $COUNTS; do
  declare -A SAMPLES=() RSS=() CPU=() LAST=() SEEN=()
  readers_json=""
  window=0
  factory_info=""
  tw_min=-1
  while :; do
    need=0
    for c in "${NAMES[@]}"; do
      k=$(wc -w <<<"${SAMPLES[$c]:-}")
      ((k < REPS)) && need=1
    done
    ((need)) || break
    window=$((window + 1))
    ((window <= MAX_WINDOWS)) || die "N=$n: $REPS repetitions did not fit in $MAX_WINDOWS windows of ${WINDOW} s"
    fill_namespace "$n" "$window"
    factory_info+="${factory_info:+,}{\"seconds\": $FACTORY_SECONDS, \"rate_per_second\": $FACTORY_RATE, \"ss_s_timewait\": $SS_S_TW, \"ss_s_estab\": $SS_S_EST}"
    pass=0
    out_of_time=0
    while ((!out_of_time)); do
      ran=0
      for ((i = 0; i < ${#NAMES[@]}; i++)); do
        c=${NAMES[$(((i + pass) % ${#NAMES[@]}))]}
        k=$(wc -w <<<"${SAMPLES[$c]:-}")
        ((k < REPS)) || continue
        # Start only if the previous duration of this command still fits before the deadline.
        est_ms=$(awk -v s="${LAST[$c]:-0.5}" 'BEGIN {printf "%d", s * 1000 * 1.5 + 300}')
        if (($(now_ms) + est_ms > DEADLINE)); then out_of_time=1; break; fi
        out=$WORK/$n-$c-$window-$pass.out
        if [[ ${KIND[$c]} == sh ]]; then
          read -r t rss rc cpu < <("$TIMEIT" --netns "$NS" --stdout "$out" --sh "${CMD[$c]}")
        else
          # shellcheck disable=SC2086  # the command is a word list on purpose
          read -r t rss rc cpu < <("$TIMEIT" --netns "$NS" --stdout "$out" -- ${CMD[$c]})
        fi
        [[ -n ${rc:-} ]] || die "N=$n: could not time '${CMD[$c]}'"
        ((rc == 0)) || die "N=$n: '${CMD[$c]}' exited with status $rc"
        (($(now_ms) <= DEADLINE + 3000)) || die "N=$n: '${CMD[$c]}' ran past the TIME_WAIT window"
        SAMPLES[$c]+=" $t"
        RSS[$c]+=" $rss"
        CPU[$c]+=" $cpu"
        LAST[$c]=$t
        s=$(seen "$c" "$out")
        [[ -z $s ]] || SEEN[$c]+=" $s"
        [[ ${BENCH_KEEP:-0} == 1 ]] || rm -f "$out"
        ran=1
      done
      ((ran)) || break
      pass=$((pass + 1))
    done
    # Once per N, while the sockets last: every kernel reader of the bpf source (the hash walk,
    # one walker and several, and the iterator, whose read() says EAGAIN after a million sockets
    # and goes on) must hand over exactly what the dump does.
    if [[ -z $readers_json ]] && (($(now_ms) + 6000 < DEADLINE)); then
      out=$WORK/$n-readers-$window.out
      read -r _ _ rc _ < <("$TIMEIT" --netns "$NS" --stdout "$out" -- "$SPLIT" 1)
      ((rc == 0)) || die "N=$n: bench/source_split failed (status $rc)"
      readers_json=$(awk 'NR > 1 && $0 !~ /no match/ {
          name = $0; sub(/ +[0-9.]+ +[0-9.]+ +[0-9]+$/, "", name); c = $NF
          printf "%s\"%s\": %s", (n++ ? ", " : ""), name, c }' "$out")
      counts=$(awk 'NR > 1 && $0 !~ /no match/ {print $NF}' "$out" | sort -u | wc -l)
      ((counts == 1)) || WARNINGS+=("N=$n: the readers of the bpf source and the dump disagree: $(tr '\n' ';' <"$out")")
      [[ ${BENCH_KEEP:-0} == 1 ]] || rm -f "$out"
    fi
    tw=$(tw_now)
    ((tw_min < 0 || tw < tw_min)) && tw_min=$tw
    ((tw >= n)) || die "N=$n: TIME_WAIT count fell to $tw during timing"
    cleanup
  done

  # Summaries for this N.
  cmds_json=""
  for c in "${NAMES[@]}"; do
    read -r mn md < <(stats <<<"${SAMPLES[$c]}")
    maxrss=$(tr ' ' '\n' <<<"${RSS[$c]}" | grep -v '^$' | sort -n | tail -1)
    SUMMARY[$n,$c,min]=$mn
    SUMMARY[$n,$c,med]=$md
    SUMMARY[$n,$c,rss]=$maxrss
    read -r SUMMARY[$n,$c,cpu] _ < <(stats <<<"${CPU[$c]}")
    seen_min=$(tr ' ' '\n' <<<"${SEEN[$c]:-}" | { grep -v '^$' || true; } | sort -n | head -1)
    seen_max=$(tr ' ' '\n' <<<"${SEEN[$c]:-}" | { grep -v '^$' || true; } | sort -n | tail -1)
    SUMMARY[$n,$c,seen]=${seen_min:-}
    # Every tool that reports a TIME_WAIT count must have seen exactly N in every run.
    if [[ -n $seen_min && $c != floor && $c != floor_v2 ]] && ((seen_min != n || seen_max != n)); then
      WARNINGS+=("N=$n: $c reported between $seen_min and $seen_max TIME_WAIT sockets, expected $n")
    fi
    samples=$(sed 's/^ //; s/ /, /g' <<<"${SAMPLES[$c]}")
    rsss=$(sed 's/^ //; s/ /, /g' <<<"${RSS[$c]}")
    cpus=$(sed 's/^ //; s/ /, /g' <<<"${CPU[$c]}")
    cmd_escaped=$(sed 's/\\/\\\\/g; s/"/\\"/g' <<<"${CMD[$c]//$BUILD\//}")
    cmds_json+="${cmds_json:+,
}      \"$c\": {\"command\": \"$cmd_escaped\", \"min_s\": $mn, \"median_s\": $md, \"min_cpu_s\": ${SUMMARY[$n,$c,cpu]}, \"max_rss_kib\": $maxrss, \"time_wait_seen\": ${seen_min:-null}, \"samples_s\": [$samples], \"rss_kib\": [$rsss], \"cpu_s\": [$cpus]}"
  done
  ratio() { awk -v a="${SUMMARY[$n,$1,$3]}" -v b="${SUMMARY[$n,$2,$3]}" 'BEGIN {printf "%.3f", a / b}'; }
  ratios() {  # min or med; each entry: label=command/command (time of the first / the second)
    local out="" e label pair
    for e in census/ss=census/ss_tw census/netstat=census/netstat_awk census/floor=census/floor \
      census_tuple/floor=census_tuple/floor census_tw/floor_tw=census_tw/floor_tw \
      census_tw/ss=census_tw/ss_tw census/floor_v2=census/floor_v2 census/walk=census/walk \
      bpf/census=bpf/census bpf_tuple/census_tuple=bpf_tuple/census_tuple \
      bpf_tw/census_tw=bpf_tw/census_tw bpf/ss=bpf/ss_tw bpf/netstat=bpf/netstat_awk \
      bpf/walk=bpf/walk auto/census=auto/census; do
      label=${e%%=*} pair=${e#*=}
      out+="${out:+, }\"$label\": $(ratio "${pair%/*}" "${pair#*/}" "$1")"
    done
    echo "$out"
  }
  # Targets of issue 7 (set for 1M sockets; checked at every N), from min times.
  targets_json=""
  TARGETS[$n]=""
  target() {  # key, label, value, op, limit
    local ok
    ok=$(awk -v v="$3" -v l="$5" -v op="$4" 'BEGIN {print (op == "<=" ? v <= l : v >= l) ? "true" : "false"}')
    targets_json+="${targets_json:+, }\"$1\": {\"value\": $3, \"target\": \"$4 $5\", \"met\": $ok}"
    TARGETS[$n]+=$(printf '  %-44s %8s  (target %s %s) %s' "$2" "$3" "$4" "$5" "$([[ $ok == true ]] && echo met || echo MISSED)")$'\n'
  }
  speedup() { awk -v a="${SUMMARY[$n,$1,min]}" -v b="${SUMMARY[$n,$2,min]}" 'BEGIN {printf "%.2f", a / b}'; }
  target ss_over_census "ss -tan state time-wait | wc -l / census" "$(speedup ss_tw census)" ">=" 4
  target netstat_over_census "netstat -n | awk / census" "$(speedup netstat_awk census)" ">=" 10
  target census_over_floor "census / floor" "$(speedup census floor)" "<=" 1.3
  target census_tw_over_floor_tw "census --state time-wait / floor time-wait" "$(speedup census_tw floor_tw)" "<=" 1.3
  target census_rss_mib "census max RSS MiB" "$(awk -v k="${SUMMARY[$n,census,rss]}" 'BEGIN {printf "%.1f", k / 1024}')" "<=" 32
  target census_tuple_rss_mib "census --by tuple max RSS MiB" "$(awk -v k="${SUMMARY[$n,census_tuple,rss]}" 'BEGIN {printf "%.1f", k / 1024}')" "<=" 32
  TARGETS[$n]+=$(printf '  %-44s %8s  (not a target: per-family dumps, as ss 6.1 asks)' "census / floor_v2" "$(speedup census floor_v2)")$'\n'
  # Issue 14 (the bpf source): at 1M, 1.4x the dump census; below, what `timewait census` picks
  # (auto) is no slower than the dump census (0.95: the same code path, within this VM's noise).
  if ((n >= 1000000)); then
    target census_over_bpf "census (dump) / census --source bpf" "$(speedup census bpf)" ">=" 1.4
    target census_tuple_over_bpf_tuple "census --by tuple: dump / bpf" "$(speedup census_tuple bpf_tuple)" ">=" 1.4
  else
    TARGETS[$n]+=$(printf '  %-44s %8s  (not a target below 1M)' "census (dump) / census --source bpf" "$(speedup census bpf)")$'\n'
    TARGETS[$n]+=$(printf '  %-44s %8s  (not a target below 1M)' "census --by tuple: dump / bpf" "$(speedup census_tuple bpf_tuple)")$'\n'
  fi
  target census_over_auto "census (dump) / census (auto)" "$(speedup census auto)" ">=" 0.95
  target ss_over_bpf "ss -tan state time-wait | wc -l / bpf" "$(speedup ss_tw bpf)" ">=" 7
  target netstat_over_bpf "netstat -n | awk / bpf" "$(speedup netstat_awk bpf)" ">=" 14
  target bpf_rss_mib "census --source bpf max RSS MiB" "$(awk -v k="${SUMMARY[$n,bpf,rss]}" 'BEGIN {printf "%.1f", k / 1024}')" "<=" 32
  target bpf_tuple_rss_mib "census --source bpf --by tuple max RSS MiB" "$(awk -v k="${SUMMARY[$n,bpf_tuple,rss]}" 'BEGIN {printf "%.1f", k / 1024}')" "<=" 32
  # Not targets: the same ratios in CPU time (the hash walk may use several CPUs at once).
  cpu_speedup() { awk -v a="${SUMMARY[$n,$1,cpu]}" -v b="${SUMMARY[$n,$2,cpu]}" 'BEGIN {printf "%.2f", a / b}'; }
  TARGETS[$n]+=$(printf '  %-44s %8s  (not a target: CPU time, user + system)' "census / census --source bpf, CPU" "$(cpu_speedup census bpf)")$'\n'
  TARGETS[$n]+=$(printf '  %-44s %8s  (not a target: CPU time, user + system)' "census --by tuple: dump / bpf, CPU" "$(cpu_speedup census_tuple bpf_tuple)")$'\n'
  JSON_RUNS+=("    {
      \"n\": $n, \"established\": $EST, \"windows\": $window, \"min_sockstat_tw_after_timing\": $tw_min,
      \"factory\": [$factory_info],
      \"ratios_of_min\": {$(ratios min)},
      \"ratios_of_median\": {$(ratios med)},
      \"targets\": {$targets_json},
      \"bpf_readers_sockets\": {${readers_json}},
      \"commands\": {
$cmds_json
      }
    }")
done

# Table.
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
for n in $COUNTS; do
  printf '\nN = %s TIME_WAIT (+ %s ESTABLISHED connections), %s runs each, times in seconds\n' "$n" "$EST" "$REPS"
  printf '%-13s %9s %9s %9s %9s %9s  %s\n' command min median "CPU min" "RSS MiB" "TW seen" "x census (min)"
  for c in "${NAMES[@]}"; do
    x=$(awk -v a="${SUMMARY[$n,$c,min]}" -v b="${SUMMARY[$n,census,min]}" 'BEGIN {printf "%.2f", a / b}')
    printf '%-13s %9.4f %9.4f %9.4f %9s %9s  %s\n' "$c" "${SUMMARY[$n,$c,min]}" "${SUMMARY[$n,$c,med]}" \
      "${SUMMARY[$n,$c,cpu]}" "$(mib "${SUMMARY[$n,$c,rss]}")" "${SUMMARY[$n,$c,seen]:--}" "$x"
  done
  echo "targets (issues 7 and 14 set them for 1M sockets; from min times):"
  printf '%s' "${TARGETS[$n]}"
done

for w in "${WARNINGS[@]}"; do echo "bench: warning: $w" >&2; done

cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
mem=$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)
mkdir -p "$(dirname "$OUT")"
{
  printf '{\n  "benchmark": "timewait census (issues 7 and 14)",\n'
  printf '  "generated_at": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf '  "machine": {"cpu": "%s", "cpus": %s, "memory_gib": %s, "kernel": "%s", "ss": "%s", "netstat": "%s"},\n' \
    "$cpu" "$(nproc)" "$mem" "$(uname -r)" "$(ss -V 2>&1 | head -1)" "$(netstat -V 2>&1 | head -1)"
  printf '  "build_type": "%s",\n' "$BUILD_TYPE"
  printf '  "reps": %s,\n  "notes": "times are wall seconds from fork to exit; rss is the largest of the pipeline'"'"'s processes; ratios are census time / other time (0.25 = census 4x faster)",\n' "$REPS"
  printf '  "warnings": ['
  for ((i = 0; i < ${#WARNINGS[@]}; i++)); do printf '%s"%s"' "$( ((i)) && echo ', ')" "${WARNINGS[$i]}"; done
  printf '],\n'
  printf '  "runs": [\n'
  for ((i = 0; i < ${#JSON_RUNS[@]}; i++)); do
    printf '%s%s\n' "${JSON_RUNS[$i]}" "$( ((i + 1 < ${#JSON_RUNS[@]})) && echo ,)"
  done
  printf '  ]\n}\n'
} >"$OUT"
echo
echo "bench: results written to $OUT"
