// SPDX-License-Identifier: Apache-2.0
#include "doctor/backup_contents.h"

#include <fmt/format.h>

#include "doctor/harmful_values.h"
#include "doctor/sysctl_conf.h"

namespace tw {

Status check_backup_contents(const SavedApply& saved) {
  std::string why;
  for (auto& [name, value] : saved.values)
    if (why = unmanaged_reason(name, value); !why.empty()) break;
  if (why.empty())
    if (auto c = conf_problem(saved.conf); !c.empty()) why = "its sysctl.d text: " + c;
  if (why.empty()) return {};
  return fail(
      fmt::format("{} was not written by timewait: {} (restore its values by hand, then remove it)",
                  saved.path, why));
}

std::vector<std::string> restore_refusals(const SavedApply& saved) {
  std::vector<std::string> out;
  for (auto& [name, value] : saved.values)
    if (value)
      if (auto why = harmful_reason(name, *value, std::nullopt))
        out.push_back(fmt::format("{} = {} ({})", name, *value, *why));
  return out;
}

std::string refused_restore(const SavedApply& saved, const std::vector<std::string>& refused) {
  std::string list;
  for (auto& r : refused) list += (list.empty() ? "" : "; ") + r;
  return fmt::format(
      "not restored from {}, as timewait never writes {}: {}; set {} by hand (sysctl -w "
      "NAME=VALUE) if you need {}",
      saved.path, refused.size() == 1 ? "this value" : "these values", list,
      refused.size() == 1 ? "it" : "them", refused.size() == 1 ? "it" : "them");
}

}  // namespace tw
