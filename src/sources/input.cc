// SPDX-License-Identifier: Apache-2.0
#include "sources/input.h"

#include <fmt/format.h>

namespace tw {

std::string InputTarget::label() const {
  if (!netns.empty()) return netns;
  if (pid) return fmt::format("pid:{}", pid);
  return "host";
}

}  // namespace tw
