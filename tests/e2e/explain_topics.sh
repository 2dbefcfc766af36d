#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `timewait explain`: every listed topic prints with its sources; an unknown one is a usage error.
set -u
topics=$("$TIMEWAIT" explain | awk 'NR > 1 {print $1}')
[ -n "$topics" ] || { echo "FAIL: no topics listed"; exit 1; }
for t in $topics; do
  text=$("$TIMEWAIT" explain "$t") || { echo "FAIL: explain $t"; exit 1; }
  grep -q '^Sources:' <<<"$text" || { echo "FAIL: $t has no sources"; exit 1; }
done
"$TIMEWAIT" explain no-such-topic 2>/dev/null
[ $? -eq 2 ] || { echo "FAIL: unknown topic should exit 2"; exit 1; }
echo ok
