#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make dist`: a release for machines without a compiler, from a build directory where `make deb`
# ran. Writes BUILD/dist/:
#   timewait_<version>_amd64.deb
#   timewait-<version>-linux-amd64.tar.gz   bin/timewait (stripped), share/ (man pages, bash, zsh
#                                           and fish completions), deploy/, LICENSE, README.md,
#                                           CHANGELOG.md, INSTALL (the Debian packages it needs)
#   SHA256SUMS                              `sha256sum -c SHA256SUMS` checks both
# The tarball is the same bytes for the same commit (sorted names, fixed owner and times).
#   scripts/dist.sh BUILD
set -euo pipefail
build=${1:?usage: dist.sh BUILD}
src=$(cd "$(dirname "$0")/.." && pwd)
fail() { echo "dist: $*" >&2; exit 1; }
version=$(head -1 "$build/version.txt" 2>/dev/null) || fail "no $build/version.txt: run make deb first"
deb=$build/timewait_${version}_amd64.deb
[[ -f $deb ]] || fail "no $deb: run make deb first"
[[ -x $build/timewait && -d $build/usage/man ]] || fail "no binary or man pages in $build"
arch=$(dpkg-deb -f "$deb" Architecture)
[[ $arch == amd64 ]] || fail "the package is for $arch, the tarball's name says amd64"

name=timewait-$version-linux-amd64
out=$build/dist
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/$name
mkdir -p "$root/bin" "$root/share/man/man8" "$root/share/bash-completion/completions" \
  "$root/share/zsh/vendor-completions" "$root/share/fish/vendor_completions.d"
strip --strip-unneeded -o "$root/bin/timewait" "$build/timewait"
cp "$build"/usage/man/*.8.gz "$root/share/man/man8/"
cp "$build/usage/completions/timewait" "$root/share/bash-completion/completions/"
cp "$build/usage/completions/_timewait" "$root/share/zsh/vendor-completions/"
cp "$build/usage/completions/timewait.fish" "$root/share/fish/vendor_completions.d/"
cp -r "$src/deploy" "$root/deploy"
cp "$src/LICENSE" "$src/README.md" "$src/CHANGELOG.md" "$root/"
# The shared libraries the binary links, as the .deb names them (dpkg-shlibdeps).
depends=$(dpkg-deb -f "$deb" Depends | sed 's/ ([^)]*)//g; s/, */ /g')
cat >"$root/INSTALL" <<EOF
timewait $version for Linux amd64 (built on Debian 12).

It needs these Debian 12 packages (the libraries the binary links):
  apt-get install $depends

Install under /usr/local (as root):
  install -m 755 bin/timewait /usr/local/bin/
  cp -r share/. /usr/local/share/ && mandb -q
The exporter as a service: deploy/systemd/timewait-exporter.service (its options:
deploy/systemd/timewait-exporter.default, as /etc/default/timewait-exporter; the unit runs
/usr/bin/timewait: change ExecStart to /usr/local/bin/timewait).

On Debian 12 the .deb of the same release does all of this:
  apt-get install ./timewait_${version}_amd64.deb
EOF

# A fixed time for every file: the commit's (reproducible), else now.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$src" log -1 --format=%ct 2>/dev/null || date +%s)}
rm -rf "$out"
mkdir -p "$out"
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
  --mode='u+rwX,go+rX,go-w' -cf - "$name" | gzip -9n >"$out/$name.tar.gz"
cp "$deb" "$out/"
(cd "$out" && sha256sum -- "$(basename "$deb")" "$name.tar.gz" >SHA256SUMS)
echo "dist: $out"
cat "$out/SHA256SUMS"
