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

std::string compiler_text() {
#if defined(__clang__)
  return fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  return fmt::format("gcc {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

}  // namespace tw::cli
