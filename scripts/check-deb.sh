#!/usr/bin/env bash
# CI (as root): installs the .deb `make deb` built, checks what a user relies on, removes and
# purges it, and checks that nothing it installed is left. Fails loudly; never skips a check.
#   scripts/check-deb.sh build/timewait_<version>_amd64.deb
set -euo pipefail
deb=${1:?usage: check-deb.sh PACKAGE.deb}
fail() { echo "check-deb: FAIL: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || fail "needs root (dpkg -i)"
[[ -f $deb ]] || fail "no package $deb"
if dpkg-query -W -f='${Status}' timewait 2>/dev/null | grep -q "ok installed"; then
  fail "timewait is already installed here; this check would remove it"
fi

# Lintian: no errors (warnings are printed for the record).
lintian --fail-on error --tag-display-limit 0 "$deb"

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
for c in $(timewait --help | awk '/^Subcommands:/ {on=1; next} on && /^  [a-z]/ {print $1}'); do
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
if [[ -f deploy/systemd/timewait-exporter.service ]]; then
  [[ -f /lib/systemd/system/timewait-exporter.service ]] || fail "exporter unit not installed"
fi
mapfile -t listed < <(dpkg -L timewait)

dpkg -r timewait
# Purge what removal keeps (configuration files), if anything.
if dpkg-query -W -f='${Status}' timewait 2>/dev/null | grep -q config-files; then
  dpkg -P timewait
fi
dpkg-query -W timewait >/dev/null 2>&1 && fail "dpkg still knows timewait after purge"
left=()
for p in "${paths[@]}" "${listed[@]}"; do
  [[ -e $p && -z ${existed[$p]:-} ]] && left+=("$p")
done
((${#left[@]} == 0)) || fail "left behind after purge: ${left[*]}"
echo "check-deb: $deb installs, works and leaves nothing behind (${#paths[@]} paths checked)"
