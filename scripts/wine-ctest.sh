#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the Windows build's tests (make windows-test) under wine: one prefix in the build
# directory, created once before tests run in parallel, and one persistent wineserver for the
# whole suite. A wineserver that a test's wine started would inherit CTest's pipes and keep them
# open after the test ends; started here with its output elsewhere, every test's wine joins it.
set -euo pipefail
build=${1:?usage: wine-ctest.sh BUILD_DIR [ctest args]}
shift
build=$(cd "$build" && pwd)
export WINEPREFIX=$build/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
# No X display: wine's console programs need none, and none should pop up.
unset DISPLAY WAYLAND_DISPLAY
if [[ ! -f $WINEPREFIX/system.reg ]]; then
  echo "creating wine prefix $WINEPREFIX"
  wineboot -i >/dev/null 2>&1 </dev/null
  wineserver -w
fi
wineserver -p </dev/null >/dev/null 2>&1
# The first wine program also starts wine's own services (services.exe, winedevice.exe, ...),
# which live as long as the server: start them here too, away from CTest's pipes.
wine cmd /c ver </dev/null >/dev/null 2>&1
trap 'wineserver -k 2>/dev/null || true' EXIT
cd "$build"
ctest --output-on-failure --timeout 600 -j2 "$@"
