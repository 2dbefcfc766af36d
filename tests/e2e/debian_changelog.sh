#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# scripts/debian-changelog.sh: the package's changelog from CHANGELOG.md is one dpkg-parsechangelog
# reads, newest entry first with the version built, every release after it, lines within 80
# columns; a released version gets no entry for the unreleased notes.
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
gen=$src/scripts/debian-changelog.sh
maint="timewait maintainers <m@example.org>"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The project's own CHANGELOG.md, for a build between releases.
sh "$gen" "$src/CHANGELOG.md" 0.1.0+12.gabc 2026-12-07 "$maint" >"$tmp/changelog" || fail "generator failed"
[[ $(dpkg-parsechangelog -l "$tmp/changelog" -S Version) == 0.1.0+12.gabc ]] || fail "top version"
[[ $(dpkg-parsechangelog -l "$tmp/changelog" -S Date) == "Mon, 07 Dec 2026 12:00:00 +0000" ]] || fail "date"
versions=$(dpkg-parsechangelog -l "$tmp/changelog" --all --format rfc822 | awk '/^Version:/ {printf "%s ", $2}')
[[ $versions == "0.1.0+12.gabc 0.1.0 " ]] || fail "versions: $versions"
dpkg-parsechangelog -l "$tmp/changelog" -S Changes | grep -q '\[Upgrade notes\] `lab run --json`' ||
  fail "the upgrade notes are not in the entry"
long=$(grep -v '^ -- ' "$tmp/changelog" | awk 'length > 80')
[[ -z $long ]] || fail "lines over 80 columns: $long"

# A release: its own section first, the unreleased notes left out; a continuation line joins its
# item.
cat >"$tmp/CHANGELOG.md" <<'MD'
# Changelog

## Unreleased

- Not yet.

## 0.2.0 (2026-12-24)

### Upgrade notes

- `timewait_x` is now
  `timewait_y`.

## 0.1.0 (2026-12-01)

- First.
MD
sh "$gen" "$tmp/CHANGELOG.md" 0.2.0 2026-12-24 "$maint" >"$tmp/release" || fail "generator failed"
versions=$(dpkg-parsechangelog -l "$tmp/release" --all --format rfc822 | awk '/^Version:/ {printf "%s ", $2}')
[[ $versions == "0.2.0 0.1.0 " ]] || fail "release versions: $versions"
grep -q 'Not yet' "$tmp/release" && fail "a release holds the unreleased notes"
grep -qF '  * [Upgrade notes] `timewait_x` is now `timewait_y`.' "$tmp/release" || fail "item: $(cat "$tmp/release")"
[[ $(dpkg-parsechangelog -l "$tmp/release" -S Date) == "Thu, 24 Dec 2026 12:00:00 +0000" ]] || fail "release date"

# Bad input: one line and exit 2.
err=$(sh "$gen" "$tmp/CHANGELOG.md" 2>&1)
[[ $? -eq 2 && $(wc -l <<<"$err") -eq 1 ]] || fail "usage error: $err"
echo ok
