#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cmake/version.cmake: the version from git in a checkout, from VERSION in a tarball (no git), and
# version_info.cc left untouched when nothing changed (a build after it recompiles nothing).
set -euo pipefail
src=$(cd "$FIXTURES/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
base=$(head -1 "$src/VERSION")
gen() {  # SOURCE_DIR OUTDIR
  cmake -DSOURCE_DIR="$1" -DOUT_CC="$2/version_info.cc" -DOUT_TXT="$2/version.txt" -DBPF=OFF \
    -DPLATFORM=linux -P "$src/cmake/version.cmake"
}

# A tarball: no .git, so VERSION and "unknown".
mkdir -p "$tmp/tarball" "$tmp/out1"
cp "$src/VERSION" "$tmp/tarball/"
gen "$tmp/tarball" "$tmp/out1"
[[ $(cat "$tmp/out1/version.txt") == "$base" ]] || { echo "tarball version: $(cat "$tmp/out1/version.txt")"; exit 1; }
grep -q '"unknown"' "$tmp/out1/version_info.cc" || { echo "tarball commit not unknown"; exit 1; }

# The checkout: a tag's describe, or VERSION + count + hash; the full commit hash.
mkdir -p "$tmp/out2"
gen "$src" "$tmp/out2"
v=$(cat "$tmp/out2/version.txt")
head=$(git -C "$src" rev-parse HEAD)
grep -q "\"$head\"" "$tmp/out2/version_info.cc" || { echo "commit $head missing"; exit 1; }
if ! git -C "$src" describe --tags --match 'v[0-9]*' >/dev/null 2>&1; then
  count=$(git -C "$src" rev-list --count HEAD)
  [[ $v =~ ^${base//./\\.}\+${count}\.g${head:0:12}(\.dirty)?$ ]] || { echo "version $v"; exit 1; }
fi
[[ $v =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || { echo "not a Debian version: $v"; exit 1; }

# Nothing changed: the file keeps its time stamp, so make recompiles nothing.
before=$(stat -c %Y.%y "$tmp/out2/version_info.cc")
sleep 1
gen "$src" "$tmp/out2"
[[ $(stat -c %Y.%y "$tmp/out2/version_info.cc") == "$before" ]] || { echo "rewritten"; exit 1; }
echo ok
