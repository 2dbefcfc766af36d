// SPDX-License-Identifier: Apache-2.0
// What `doctor --apply` would do: the findings' kernel settings that differ from the values in
// force, the harmful or conflicting ones refused, and the sysctl.d file's text before and after.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "doctor/apply_backup.h"
#include "doctor/finding.h"
#include "model/host_facts.h"
#include "model/result.h"

namespace tw {

struct SysctlChange {
  std::string name;
  std::optional<std::string> old_value;  // nullopt: not captured
  std::string new_value;
  std::string finding;  // the finding id that asks for it
};

struct ApplyPlan {
  std::vector<SysctlChange> changes;
  std::vector<std::string> refused;  // "name=value: why" for harmful or conflicting settings
  bool conf_existed = false;
  std::string old_conf, new_conf;
  // False for a namespace other than PID 1's: /etc/sysctl.d is applied at boot to the host's
  // namespace, so writing another namespace's values there would set them on the host at the
  // next boot. The file is then neither written nor restored.
  bool persist = true;
};

// The settings to apply: findings' sysctls with apply = true whose value differs from `facts`,
// first finding wins (findings are worst first); harmful ones are refused.
Result<ApplyPlan> plan_apply(const std::vector<Finding>& findings, const HostFacts& facts,
                             const ApplyPaths& paths, bool persist = true);

}  // namespace tw
