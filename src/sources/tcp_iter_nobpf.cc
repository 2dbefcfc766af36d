// SPDX-License-Identifier: Apache-2.0
// Stand-in for a binary built without libbpf, bpftool or clang: the dump and /proc still work.
#include "sources/tcp_iter.h"

namespace tw {

bool tcp_iter_built() { return false; }

int bpf_walkers() { return 1; }

namespace {
DumpResult not_built() {
  return {DumpFailure::kUnavailable,
          "bpf: not built (this timewait was built without libbpf-dev, bpftool and clang-16; "
          "scripts/install-deps.sh and a rebuild add it)",
          0};
}
}  // namespace

DumpResult read_tcp_iter(StateMask, const SocketSink&, const TcpIterOptions&) {
  return not_built();
}

DumpResult read_tcp_all_netns(StateMask, const NetnsSocketSink&, const AllNetnsOptions&) {
  return not_built();
}

}  // namespace tw
