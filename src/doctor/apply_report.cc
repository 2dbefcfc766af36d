// SPDX-License-Identifier: Apache-2.0
#include "doctor/apply_report.h"

#include <fmt/format.h>

namespace tw {

using nlohmann::json;

ApplyReport make_apply_report(const ApplyPlan& plan, const ApplyTarget& target,
                              const ApplyPaths& paths) {
  ApplyReport r;
  r.plan = &plan;
  r.target = &target;
  r.conf = paths.conf();
  r.backup = backup_path(paths, target);
  if (r.host()) r.diff = render_diff(r.conf, plan.old_conf, plan.new_conf);
  for (auto& c : plan.changes)
    if (c.old_value)
      if (auto why = harmful_reason(c.name, *c.old_value, std::nullopt))
        r.not_revertible.push_back(fmt::format(
            "--revert will not set {} back to {} ({}); set it by hand if you ever need it", c.name,
            *c.old_value, *why));
  if (!r.host())
    r.boot_note = fmt::format(
        "{} is left alone: it is read at boot for the host's network namespace, not for {}, "
        "whose values last as long as it does (whatever creates it must set them again)",
        r.conf, describe(target));
  return r;
}

json apply_to_json(const ApplyReport& r, bool applied, const std::optional<std::string>& error) {
  const bool host = r.host();
  json changes = json::array();
  for (auto& c : r.plan->changes)
    changes.push_back({{"name", c.name},
                       {"old", c.old_value ? json(*c.old_value) : json()},
                       {"new", c.new_value},
                       {"finding", c.finding}});
  json j{{"schema", "timewait-doctor-apply/1"},
         {"file", host ? json(r.conf) : json()},
         {"changes", changes},
         {"refused", r.plan->refused},
         {"diff", r.diff},
         {"applied", applied},
         {"netns",
          {{"name", host ? "host" : r.target->name}, {"host", host}, {"inode", r.target->inode}}},
         {"host", r.target->hostname},
         {"backup", r.backup},
         {"not_revertible", r.not_revertible},
         {"boot_note", host ? json() : json(r.boot_note)}};
  if (error) j["error"] = *error;
  return j;
}

}  // namespace tw
