#!/usr/bin/env bash
# Installs what timewait needs from Debian 12's packages. Quiet and quick when all is present.
set -euo pipefail
pkgs=(
  g++ cmake make pkg-config          # toolchain
  libcli11-dev                       # command line (subcommands, typed options, --help)
  nlohmann-json3-dev                 # JSON output, snapshots
  libfmt-dev                         # formatting
  libmnl-dev                         # netlink (inet_diag dumps)
  libgtest-dev libgmock-dev          # unit tests (CTest)
  libbenchmark-dev                   # benchmarks (make bench)
  iproute2 nftables procps           # namespaces, veth, sysctl, nft rules in tests and the lab
  net-tools                          # ss and netstat: the peers the census is checked against
  nginx              # the lab's nginx-proxy scenario
  clang-16 libclang-rt-16-dev        # the importers' libFuzzer target (clang 14 lacks <expected>)
  libbpf-dev bpftool                 # timewait trace: CO-RE loader, skeleton (clang-16 compiles the BPF C)
  libelf-dev zlib1g-dev              # what libbpf links against
  jq                                 # end-to-end tests read JSON output
  zsh fish                           # completion tests run each shell's own completion
  dpkg-dev lintian man-db            # make deb (dpkg-shlibdeps), its lint and the install check
  g++-mingw-w64-x86-64-posix wine wine64  # make windows: timewait.exe, its tests under wine
  libncurses-dev tmux                # timewait watch: the live screen (ncurses); its tests drive it in tmux
  libmicrohttpd-dev libgnutls28-dev  # timewait exporter: the HTTP server (per-connection memory,
                                     # connection and per-address limits, timeouts) and its TLS
  libyaml-cpp-dev                    # exporter: --web.config.file (exporter-toolkit's YAML)
  libcrypt-dev                       # exporter: bcrypt hashes of basic_auth_users (libxcrypt)
  openssl                            # exporter tests: make a CA, server and client certificates
  curl                               # exporter tests: a TLS client with a client certificate
  prometheus                         # exporter tests: promtool (rules, metrics) and a real server
  prometheus-node-exporter           # exporter tests: the real peer our sockstat/TcpExt numbers must equal
  strace                             # apply tests: SIGKILL a real doctor --apply at a chosen system call
)
missing=()
for p in "${pkgs[@]}"; do
  [[ $p == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The prometheus package would start a system server on :9090, prometheus-node-exporter one
  # on :9100. Tests run their own on free ports; keep the packages' services from starting
  # (invoke-rc.d and deb-systemd-invoke honour policy-rc.d; 101 = action forbidden) and remove
  # the policy again if it was ours.
  policy=/usr/sbin/policy-rc.d own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
