# Sourced by the Windows end-to-end tests (run by scripts/wine-ctest.sh, which sets WINEPREFIX to
# the suite's prefix). Gives the test a network namespace of its own and a private copy of the
# prefix (hard links, so it is cheap: wine replaces its registry files rather than writing into
# them), with a wineserver started inside the namespace: wine's TCP table is read by its own
# processes, so they must run where the test's sockets are. `in_ns CMD...` runs there.
: "${TIMEWAIT_EXE:?}" "${WINEPREFIX:?run through scripts/wine-ctest.sh}"
WINE=${WINE:-wine}
ns=twwin-$$-$RANDOM
work=$(mktemp -d)
prefix=$work/prefix
cleanup() {
  in_ns wineserver -k >/dev/null 2>&1 || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
in_ns() { ip netns exec "$ns" env WINEPREFIX="$prefix" WINEDEBUG=-all "$@"; }
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
cp -al "$WINEPREFIX" "$prefix"
in_ns wineserver -p </dev/null >/dev/null 2>&1
in_ns wine cmd /c ver </dev/null >/dev/null 2>&1  # wine's services, away from CTest's pipes
