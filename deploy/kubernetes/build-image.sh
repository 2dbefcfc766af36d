#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Builds the exporter's image with Debian's podman from the project's own binary, FROM scratch:
#   deploy/kubernetes/build-image.sh BINARY|PACKAGE.deb [TAG]
# BINARY is a built `timewait` (build/timewait), or the .deb `make deb` writes (its
# /usr/bin/timewait is taken). The image holds that file, the shared libraries ldd lists for it
# (from this Debian system, so build it on the Debian release the binary was built for) and an
# /etc/passwd naming root and nobody. PODMAN may hold podman with global options (the tests give
# their own --root and --storage-driver vfs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${1:?usage: build-image.sh BINARY|PACKAGE.deb [TAG]}
tag=${2:-localhost/timewait:latest}
podman=${PODMAN:-podman}
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
root=$ctx/rootfs
mkdir -p "$root/usr/bin" "$root/etc" "$root/tmp" "$root/run/netns"
if [[ $src == *.deb ]]; then
  dpkg-deb -x "$src" "$ctx/deb"
  cp "$ctx/deb/usr/bin/timewait" "$root/usr/bin/timewait"
else
  cp "$src" "$root/usr/bin/timewait"
fi
chmod 755 "$root/usr/bin/timewait"
# Every library the dynamic loader will look for, and the loader itself, at the same paths.
libs=$(ldd "$root/usr/bin/timewait" | awk '/=> \// {print $3} /^\t\/[^ ]+ \(/ {print $1}')
[[ -n $libs ]] || { echo "build-image.sh: ldd found no libraries for $src" >&2; exit 1; }
for lib in $libs; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
printf 'root:x:0:0:root:/:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n' \
  >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
cp "$here/Containerfile" "$ctx/Containerfile"
# shellcheck disable=SC2086  # PODMAN is a command with its options
$podman build --pull=never --quiet -f "$ctx/Containerfile" -t "$tag" "$ctx"
