// SPDX-License-Identifier: Apache-2.0
#include "doctor/apply_plan.h"

#include <fmt/format.h>

#include <map>

#include "doctor/harmful_values.h"
#include "doctor/sysctl_conf.h"
#include "os/read_file.h"

namespace tw {

Result<ApplyPlan> plan_apply(const std::vector<Finding>& findings, const HostFacts& facts,
                             const ApplyPaths& paths, bool persist) {
  ApplyPlan plan;
  plan.persist = persist;
  std::map<std::string, std::string> chosen;
  for (const Finding& f : findings)
    for (const SysctlSetting& s : f.sysctls) {
      if (!s.apply) continue;
      const std::string value = fold_blanks(s.value);
      if (auto it = chosen.find(s.name); it != chosen.end()) {
        if (it->second != value)
          plan.refused.push_back(fmt::format("{}={} ({}): {} asks for {} first", s.name, value,
                                             f.id, "a worse finding", it->second));
        continue;
      }
      auto current = facts.sysctl(s.name);
      if (auto why = harmful_reason(s.name, value, current)) {
        plan.refused.push_back(fmt::format("{}={} ({}): {}", s.name, value, f.id, *why));
        continue;
      }
      chosen[s.name] = value;
      if (current && fold_blanks(*current) == value) continue;
      plan.changes.push_back({s.name, current, value, f.id});
    }
  std::optional<std::string> old;
  if (persist)
    if (auto text = os::read_file(paths.conf())) old = std::move(*text);
  plan.conf_existed = old.has_value();
  plan.old_conf = old.value_or("");
  // The backup keeps this text for --revert, which restores only what --apply could have written.
  if (auto why = conf_problem(plan.old_conf); !why.empty() && !plan.changes.empty())
    return fail(fmt::format(
        "{} holds what `doctor --apply` never writes: {}; --revert could not put it back, so "
        "nothing is applied: move such settings to another file in /etc/sysctl.d first",
        paths.conf(), why));
  if (plan.changes.empty() || !persist) {
    plan.new_conf = plan.old_conf;
    return plan;
  }
  // This file is ours: rebuild it from its entries plus the changes, each with its reason.
  std::vector<std::pair<std::string, std::string>> entries = conf_entries(plan.old_conf);
  std::map<std::string, std::string> why;
  for (auto& c : plan.changes) {
    why[c.name] = c.finding;
    bool found = false;
    for (auto& [k, v] : entries)
      if (k == c.name) {
        v = c.new_value;
        found = true;
      }
    if (!found) entries.emplace_back(c.name, c.new_value);
  }
  std::string text =
      "# Written by `timewait doctor --apply`; `timewait doctor --revert` restores the values it\n"
      "# replaced. Each setting names the doctor finding behind it (`timewait doctor` shows "
      "why).\n";
  for (auto& [k, v] : entries) {
    if (why.count(k)) text += fmt::format("# {}\n", why[k]);
    text += fmt::format("{} = {}\n", k, v);
  }
  plan.new_conf = text;
  return plan;
}

}  // namespace tw
