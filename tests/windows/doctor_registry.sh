#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# timewait.exe doctor reads Tcpip\Parameters live (RegGetValueW): values set with `wine reg add`
# show in its findings and drive its verdict.
set -euo pipefail
source "$(dirname "$0")/wine_netns.bash"
key='HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
doctor() { in_ns "$WINE" "$TIMEWAIT_EXE" doctor --json >"$work/doctor.json" || echo $? >"$work/rc"; }
finding() { jq -c --arg id "$1" '.findings[] | select(.id == $id)' "$work/doctor.json"; }

doctor
f=$(finding windows-tcptimedwaitdelay)
[[ $(jq -r .checked <<<"$f") == true ]] || fail "registry not read: $f"
[[ $(jq -r .data.TcpTimedWaitDelay <<<"$f") == null ]] || fail "value before reg add: $f"
[[ -z $(finding windows-maxuserport) ]] || fail "MaxUserPort before reg add"

in_ns "$WINE" reg add "$key" /v TcpTimedWaitDelay /t REG_DWORD /d 45 /f >/dev/null
in_ns "$WINE" reg add "$key" /v MaxUserPort /t REG_DWORD /d 65534 /f >/dev/null
rm -f "$work/rc"
doctor
f=$(finding windows-tcptimedwaitdelay)
[[ $(jq -r .data.TcpTimedWaitDelay <<<"$f") == 45 ]] || fail "TcpTimedWaitDelay: $f"
[[ $(jq -r .severity <<<"$f") == info ]] || fail "45 s is in range: $f"
[[ $(jq -r .data.MaxUserPort <<<"$(finding windows-maxuserport)") == 65534 ]] ||
  fail "MaxUserPort: $(finding windows-maxuserport)"
# Port pressure counts TIME_WAIT for TcpTimedWaitDelay, not Linux's 60 s.
[[ $(jq -r .data.time_wait_seconds <<<"$(finding port-pressure)") == 45 ]] ||
  fail "port-pressure TIME_WAIT length: $(finding port-pressure)"

in_ns "$WINE" reg add "$key" /v TcpTimedWaitDelay /t REG_DWORD /d 10 /f >/dev/null
doctor
f=$(finding windows-tcptimedwaitdelay)
[[ $(jq -r .severity <<<"$f") == warning ]] || fail "10 s is below 30 s: $f"
[[ $(cat "$work/rc" 2>/dev/null) == 3 ]] || fail "exit status $(cat "$work/rc" 2>/dev/null || echo 0), want 3"
echo "ok: doctor reports the registry values set with wine reg add"
