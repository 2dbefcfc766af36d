// SPDX-License-Identifier: Apache-2.0
// Stand-in for a binary built without libbpf, bpftool or clang: the rest of timewait works.
#include "trace/tracer.h"

namespace tw {

bool tracer_built() { return false; }

Result<std::unique_ptr<Tracer>> Tracer::open(const TracerOptions&) {
  return fail("this timewait was built without BPF support (needs libbpf-dev, bpftool, clang-16)");
}

}  // namespace tw
