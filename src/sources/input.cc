// SPDX-License-Identifier: Apache-2.0
#include "sources/input.h"

#include <fmt/format.h>

namespace tw {

std::string InputTarget::label() const {
  if (!netns.empty()) return netns;
  if (pid) return fmt::format("pid:{}", pid);
  return "host";
}

std::string InputTarget::title() const {
  if (pod.empty()) return label();
  return fmt::format("{} ({})", label(),
                     pod_host_network ? "hostNetwork pod " + pod : "pod " + pod);
}

}  // namespace tw
