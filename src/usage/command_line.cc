// SPDX-License-Identifier: Apache-2.0
#include "usage/command_line.h"

namespace tw::usage {

std::string command_path(const std::vector<const Command*>& chain) {
  std::string out;
  for (const Command* c : chain) out += (out.empty() ? "" : " ") + c->name;
  return out;
}

}  // namespace tw::usage
