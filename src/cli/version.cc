// SPDX-License-Identifier: Apache-2.0
#include "cli/version.h"

#include <fmt/format.h>

namespace tw::cli {

std::string version_text() {
  const BuildInfo& b = build_info();
  return fmt::format(
      "timewait {}\ncommit: {} ({})\nplatform: {}\nbpf: {}", b.version, b.commit, b.date,
      b.platform,
      b.bpf ? "on (timewait trace, doctor --trace)" : "off (built without the eBPF tracer)");
}

}  // namespace tw::cli
