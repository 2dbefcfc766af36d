#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Writes the package's Debian changelog (Debian policy 4.4, a native package's format) from
# CHANGELOG.md to standard output: one entry per `## VERSION (YYYY-MM-DD)` release, newest first,
# and, when VERSION is no release there (a build between releases, 0.1.0+12.gabc), a first entry
# for VERSION with the `## Unreleased` notes dated DATE (the commit's).
#   debian-changelog.sh CHANGELOG.md VERSION YYYY-MM-DD "NAME <EMAIL>"
set -eu
[ $# -eq 4 ] || { echo "usage: debian-changelog.sh CHANGELOG.md VERSION YYYY-MM-DD MAINTAINER" >&2; exit 2; }
LC_ALL=C awk -v version="$2" -v build_date="$3" -v maint="$4" '
function rfc2822(day,   cmd, out) {
  cmd = "date -u -R -d \"" day " 12:00:00\""
  if ((cmd | getline out) <= 0) { print "debian-changelog: bad date " day > "/dev/stderr"; exit 2 }
  close(cmd)
  return out
}
# One "  * " item wrapped to 80 columns, continuation lines under its text.
function item(text,   n, words, i, line) {
  n = split(text, words, " ")
  line = "  *"
  for (i = 1; i <= n; i++) {
    if (length(line) + 1 + length(words[i]) > 80 && line != "  *") { print line; line = "   " }
    line = line " " words[i]
  }
  print line
}
function flush() { if (pending != "") item(group pending); pending = "" }
function close_entry() {
  flush()
  if (open_entry) { print ""; print " -- " maint "  " when; print "" }
  open_entry = 0
}
BEGIN { released_seen = 0 }
# Releases named in the file: is VERSION one of them?
FNR == NR {
  if ($0 ~ /^## [0-9]/ && $2 == version) released_seen = 1
  next
}
/^## / {
  close_entry()
  skip = 0
  if ($2 == "Unreleased") {
    if (released_seen) { skip = 1; next }
    v = version; when = rfc2822(build_date)
  } else {
    v = $2; d = $3; gsub(/[()]/, "", d); when = rfc2822(d)
  }
  print "timewait (" v ") unstable; urgency=medium"
  print ""
  open_entry = 1; group = ""
  next
}
!open_entry || skip { next }
/^### / { flush(); group = "[" substr($0, 5) "] "; next }
/^- / { flush(); pending = substr($0, 3); next }
/^  +[^ ]/ && pending != "" { t = $0; sub(/^ +/, "", t); pending = pending " " t; next }
/^$/ { flush(); next }
END { close_entry() }
' "$1" "$1"
