#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what timewait needs from Debian 12's packages, by profile. Quiet and quick when all is
# present. Needs root (apt-get).
#   install-deps.sh build     what building the binary needs (make run), without eBPF
#   install-deps.sh bpf       build + the eBPF tracer's compiler and tools (clang-16, bpftool)
#   install-deps.sh test      bpf + the tests, benchmarks and the lab's peers (make test, make bench)
#   install-deps.sh package   bpf + make deb, make dist and their checks (dpkg-dev, lintian)
#   install-deps.sh windows   the mingw-w64 cross build and wine (make windows)
#   install-deps.sh fuzz      test + clang's libFuzzer runtime (make fuzz)
#   install-deps.sh all       every profile (CI: .ci/run); also the default
# Nothing is started or enabled on this machine: services whose packages would start them now or
# at the next boot (nginx, prometheus, prometheus-node-exporter, man-db's timer) are left stopped
# and disabled (see the end).
set -euo pipefail

# The binary: a C++23 compiler, CMake, and the -dev packages of what it links.
build=(
  g++ cmake make pkg-config          # toolchain
  dpkg-dev                           # dpkg-buildflags: Debian's hardening flags for the binary
                                     # (fortify, stack protector, relro, bindnow); 5 packages, 5 MB
  libcli11-dev                       # command line (subcommands, typed options, --help)
  nlohmann-json3-dev                 # JSON output, snapshots
  libfmt-dev                         # formatting
  libmnl-dev                         # netlink (inet_diag dumps)
  libncurses-dev                     # timewait watch: the live screen (ncurses)
  zlib1g-dev                         # timewait exporter: gzip of /metrics
  libmicrohttpd-dev libgnutls28-dev  # timewait exporter: the HTTP server (per-connection memory,
                                     # connection and per-address limits, timeouts) and its TLS
  libyaml-cpp-dev libcrypt-dev       # timewait exporter: --web.config.file, bcrypt basic auth
)
# The eBPF tracer (timewait trace, doctor --trace, the bpf census source): compiled with clang-16
# and embedded as a skeleton (bpftool). clang is 250 MB of the 620 MB the build needed with it, so
# `make run` leaves it out: cmake says what is missing and the binary is built without them
# (cmake/bpf.cmake; `timewait --version` says "bpf: off").
bpf=(
  libbpf-dev bpftool clang-16        # CO-RE loader, skeleton, the BPF C compiler
  libelf-dev                         # what libbpf links against
)
# Tests (CTest + GoogleTest, real kernel), benchmarks and the peers results are checked against.
test=(
  libgtest-dev libgmock-dev          # unit tests (CTest)
  libbenchmark-dev                   # benchmarks (make bench)
  iproute2 nftables procps           # namespaces, veth, sysctl, nft rules in tests and the lab
  net-tools                          # ss and netstat: the peers the census is checked against
  nginx                              # the lab's nginx-proxy scenario
  jq                                 # tests/windows/*.sh and bench/watch_refresh.sh read JSON
  python3                            # make bench: bench/run.py drives the census benchmark
  zsh fish                           # completion tests run each shell's own completion
  man-db                             # man page tests format every page with man(1)
  dpkg-dev                           # the package changelog's test reads it with dpkg-parsechangelog
  tmux                               # watch's tests drive its screen in tmux
  openssl                            # exporter tests: make a CA, server and client certificates
  curl                               # exporter tests: a TLS client with a client certificate
  prometheus                         # exporter tests: promtool (rules, metrics) and a real server
  prometheus-node-exporter           # exporter tests: the real peer our sockstat/TcpExt numbers must equal
  strace                             # apply tests: SIGKILL a real doctor --apply at a chosen system call
  podman runc                        # KubernetesDeploy.ImageRunsAsTheDaemonSetRunsIt: the exporter's image run as the DaemonSet
                                     # runs it (runc: crun refuses hybrid cgroup hosts)
)
package=(
  dpkg-dev lintian man-db            # make deb (dpkg-shlibdeps, dpkg-buildflags), its lint, man -w
)
windows=(
  g++-mingw-w64-x86-64-posix wine wine64  # make windows: timewait.exe, its tests under wine
)
fuzz=(
  libclang-rt-16-dev                 # the importers' libFuzzer target (clang 14 lacks <expected>)
)

# deploy/kubernetes's manifests are checked against the Kubernetes API's schemas offline
# (KubernetesDeploy.ManifestsMatchTheApiSchemas): the OpenAPI schemas bundled in npm's kubernetes-models and
# @kubernetes-models/prometheus-operator, read with yaml. Pinned; installed once into $k8s_dir.
k8s_dir=/usr/local/lib/timewait-k8s-validate
k8s_validator() {
  [[ -d $k8s_dir/node_modules/kubernetes-models && -d $k8s_dir/node_modules/yaml &&
    -d $k8s_dir/node_modules/@kubernetes-models/prometheus-operator ]] && return 0
  command -v npm >/dev/null || apt-get install -y -qq --no-install-recommends npm >/dev/null
  echo "install-deps: npm packages for the manifest check into $k8s_dir"
  npm install --silent --no-audit --no-fund --prefix "$k8s_dir" kubernetes-models@5.1.0 \
    @kubernetes-models/prometheus-operator@6.0.0 yaml@2.9.1 >/dev/null
}
want_k8s=0

pkgs=()
(($# == 0)) && set -- all
for profile in "$@"; do
  case $profile in
    build) pkgs+=("${build[@]}") ;;
    bpf) pkgs+=("${build[@]}" "${bpf[@]}") ;;
    test) pkgs+=("${build[@]}" "${bpf[@]}" "${test[@]}"); want_k8s=1 ;;
    package) pkgs+=("${build[@]}" "${bpf[@]}" "${package[@]}") ;;
    windows) pkgs+=("${windows[@]}") ;;
    fuzz) pkgs+=("${build[@]}" "${bpf[@]}" "${test[@]}" "${fuzz[@]}"); want_k8s=1 ;;
    all) pkgs+=("${build[@]}" "${bpf[@]}" "${test[@]}" "${package[@]}" "${windows[@]}" "${fuzz[@]}")
      want_k8s=1 ;;
    *)
      echo "install-deps.sh: unknown profile '$profile'; profiles: build bpf test package windows fuzz all" >&2
      exit 2
      ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  [[ $p == \#* ]] && continue
  [[ " ${missing[*]} " == *" $p "* ]] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  ((want_k8s == 0)) || k8s_validator
  exit 0
fi
if [[ $(id -u) != 0 ]]; then
  echo "install-deps.sh: installing ${missing[*]} needs root (apt-get); run as root or install them" >&2
  exit 2
fi
echo "install-deps ($*): installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

# Starting now: invoke-rc.d and deb-systemd-invoke ask policy-rc.d first; 101 = action forbidden
# (prometheus would serve :9090, prometheus-node-exporter :9100, nginx :80). Tests run their own
# on free ports. The policy is removed again if it was ours.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi

# Starting at the next boot: policy-rc.d does not stop a postinst from enabling its unit
# (deb-systemd-helper enable: `systemctl preset`, or the wants/ links made by hand when systemd is
# not installed) or its init script (update-rc.d defaults: rc?.d/S links). What appears during
# this install is disabled again the way a package's own postrm does it, which also keeps the
# unit disabled on later upgrades (deb-systemd-helper keeps its state: was-enabled is false).
# Masking would also stop an admin's `systemctl start`, so it is not used.
boot_links() {
  {
    find /etc/systemd/system -mindepth 2 -maxdepth 2 -type l \( -path '*.wants/*' -o \
      -path '*.requires/*' \) 2>/dev/null
    find /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d -name 'S??*' 2>/dev/null
  } | sort
}
before=$(boot_links)
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
disabled=()
while read -r link; do
  [[ -n $link ]] || continue
  name=${link##*/}
  case $link in
    /etc/systemd/*) deb-systemd-helper disable "$name" >/dev/null 2>&1 || rm -f "$link" ;;
    *) name=${name#S??}; update-rc.d "$name" disable >/dev/null 2>&1 || rm -f "$link" ;;
  esac
  [[ -L $link ]] && { echo "install-deps.sh: could not disable $link" >&2; exit 1; }
  [[ " ${disabled[*]} " == *" $name "* ]] || disabled+=("$name")
done < <(comm -13 <(echo "$before") <(boot_links))
if ((${#disabled[@]})); then
  echo "install-deps: left disabled (their packages enable them at boot): ${disabled[*]}"
fi
((want_k8s == 0)) || k8s_validator
