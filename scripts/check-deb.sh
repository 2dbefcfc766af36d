#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CI (as root): lints the .deb `make deb` built, installs it, checks what a user relies on (the
# binary, man pages, completions, the exporter's unit and its /etc/default conffile, that nothing
# was enabled or started), removes and purges it, and checks that nothing it installed is left.
# Fails loudly; never skips a check.
#   scripts/check-deb.sh build/timewait_<version>_amd64.deb
set -euo pipefail
deb=${1:?usage: check-deb.sh PACKAGE.deb}
fail() { echo "check-deb: FAIL: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || fail "needs root (dpkg -i)"
[[ -f $deb ]] || fail "no package $deb"
if dpkg-query -W -f='${Status}' timewait 2>/dev/null | grep -q "ok installed"; then
  fail "timewait is already installed here; this check would remove it"
fi
unit=timewait-exporter.service
default=/etc/default/timewait-exporter

# Lintian with informational tags shown (-I): no error, no warning, and no hardening tag (the
# binary is built with dpkg-buildflags: fortify, stack protector, relro, bindnow, PIE).
lint=$(lintian -I --tag-display-limit 0 "$deb" 2>&1) || true
[[ -n $lint ]] && echo "$lint" >&2
grep -E '^[EW]: ' <<<"$lint" && fail "lintian: errors or warnings (above)"
grep -E 'hardening' <<<"$lint" && fail "lintian: the binary lacks hardening (above)"

# What a package of its kind carries: dh_installsystemd-like maintainer scripts and the conffile.
for f in postinst prerm postrm conffiles; do
  dpkg-deb -I "$deb" "$f" >/dev/null 2>&1 || fail "the package has no $f"
done
dpkg-deb -I "$deb" conffiles | grep -qx "$default" || fail "$default is no conffile"

# The paths the package holds, and which of them exist before it is installed: after the purge,
# exactly those may be left (shared directories such as /usr/share/man/man8).
mapfile -t paths < <(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' | grep -v '^$' | grep -vx /)
declare -A existed
for p in "${paths[@]}"; do [[ -e $p ]] && existed[$p]=1; done

dpkg -i "$deb"
version=$(dpkg-deb -f "$deb" Version)
# Printed with >&2, not `tee /dev/stderr`: tee opens that path with O_TRUNC, which wiped a CI log
# that stderr went to.
v=$(timewait --version)
echo "$v" >&2
head -1 <<<"$v" | grep -qxF "timewait $version" ||
  fail "timewait --version does not start with 'timewait $version'"
timewait --version | grep -q '^commit: [0-9a-f]\{40\}' || fail "--version names no commit"
timewait --version | grep -q '^bpf: \(on\|off\)' || fail "--version says nothing of BPF"
man -w timewait | grep -q '/usr/share/man/man8/timewait.8.gz' || fail "man -w timewait"
# The commands --help lists (its Subcommands: section, up to the next heading).
for c in $(timewait --help | awk '/^[^ ]/ {on = /^Subcommands:/; next} on && /^  [a-z]/ {print $1}'); do
  man -w "timewait-$c" >/dev/null || fail "no man page timewait-$c(8)"
done
bash_c=/usr/share/bash-completion/completions/timewait
zsh_c=/usr/share/zsh/vendor-completions/_timewait
fish_c=/usr/share/fish/vendor_completions.d/timewait.fish
for f in "$bash_c" "$zsh_c" "$fish_c"; do [[ -s $f ]] || fail "missing completion $f"; done
bash -c "source $bash_c && complete -p timewait" | grep -q -- '-F _timewait' ||
  fail "the bash completion does not register _timewait"
[[ -f /usr/share/doc/timewait/README.md && -f /usr/share/doc/timewait/copyright ]] ||
  fail "docs missing from /usr/share/doc/timewait"
zcat /usr/share/doc/timewait/changelog.gz | head -1 | grep -qF "timewait ($version) " ||
  fail "the changelog's first entry is not $version"

# The exporter's unit: installed, neither enabled nor started, its options from the conffile.
[[ -f /lib/systemd/system/$unit ]] || fail "exporter unit not installed"
[[ -f $default ]] || fail "$default not installed"
dpkg-query -W -f='${Conffiles}\n' timewait | grep -q "^ $default " || fail "dpkg: $default is no conffile"
grep -qx 'EnvironmentFile=-/etc/default/timewait-exporter' /lib/systemd/system/$unit ||
  fail "the unit does not read $default"
grep -qx 'ExecStart=/usr/bin/timewait exporter $ARGS' /lib/systemd/system/$unit ||
  fail "the unit's ExecStart does not pass \$ARGS"
# shellcheck disable=SC1090
args=$(set -a && . "$default" && echo "$ARGS")
[[ $args == "--listen 127.0.0.1:10040 --all-netns" ]] || fail "ARGS in $default: '$args'"
# postinst ran: deb-systemd-helper records the unit (update-state), with no link.
[[ -f /var/lib/systemd/deb-systemd-helper-enabled/$unit.dsh-also ]] ||
  fail "postinst did not record $unit with deb-systemd-helper"
links=$(find /etc/systemd/system -name "$unit" 2>/dev/null || true)
[[ -z $links ]] || fail "the package enabled its unit: $links"
if [[ -d /run/systemd/system ]]; then
  [[ $(systemctl is-active "$unit" || true) == inactive ]] || fail "$unit is running"
fi
# The unit's arguments work: the exporter started with ARGS as systemd splits them, in a network
# namespace of its own (its 127.0.0.1:10040 is not this host's), serves /metrics.
# shellcheck disable=SC2086
metrics=$(unshare -n bash -c '
  ip link set lo up
  timewait exporter '"$args"' 2>/dev/null & pid=$!
  for _ in $(seq 100); do
    if exec 3<>/dev/tcp/127.0.0.1/10040; then
      printf "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
      timeout 20 cat <&3
      break
    fi 2>/dev/null
    sleep 0.1
  done
  kill $pid; wait $pid') || true
grep -q '^HTTP/1.[01] 200' <<<"$metrics" || fail "timewait exporter \$ARGS served no /metrics"
grep -q '^timewait_' <<<"$metrics" || fail "/metrics holds no timewait_ series"
mapfile -t listed < <(dpkg -L timewait)

dpkg -r timewait
# Removal keeps the conffile (dpkg) and masks the unit (as dh_installsystemd's postrm does)...
dpkg-query -W -f='${Status}' timewait | grep -q config-files || fail "no config-files state after removal"
[[ -f $default ]] || fail "removal took the conffile $default"
[[ ! -e /usr/bin/timewait && ! -e /lib/systemd/system/$unit ]] || fail "removal left the binary or unit"
[[ $(readlink "/etc/systemd/system/$unit") == /dev/null ]] || fail "postrm did not mask $unit on removal"
# ...and purge removes both, and deb-systemd-helper's record of the unit.
dpkg -P timewait
dpkg-query -W timewait >/dev/null 2>&1 && fail "dpkg still knows timewait after purge"
[[ ! -e $default ]] || fail "purge left $default"
[[ ! -L /etc/systemd/system/$unit ]] || fail "purge left the unit masked"
leftover=$(find /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
  -name "*timewait*" 2>/dev/null || true)
[[ -z $leftover ]] || fail "purge left deb-systemd-helper state: $leftover"
left=()
for p in "${paths[@]}" "${listed[@]}"; do
  [[ -e $p && -z ${existed[$p]:-} ]] && left+=("$p")
done
((${#left[@]} == 0)) || fail "left behind after purge: ${left[*]}"
echo "check-deb: $deb installs, works and leaves nothing behind (${#paths[@]} paths checked)"
