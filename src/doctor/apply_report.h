// SPDX-License-Identifier: Apache-2.0
// What `doctor --apply` shows of a plan before (and after) it writes: the changes, the diff of
// /etc/sysctl.d's file, what --revert will not set back, and for a namespace other than the
// host's why that file is left alone; as JSON, schema timewait-doctor-apply/1 (docs/json.md).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "doctor/apply.h"
#include "doctor/apply_backup.h"

namespace tw {

struct ApplyReport {
  const ApplyPlan* plan = nullptr;
  const ApplyTarget* target = nullptr;
  std::string conf;    // the sysctl.d file (ApplyPaths::conf)
  std::string backup;  // where the replaced values are kept
  std::string diff;    // of `conf`: for the host's namespace alone, which persists
  // A value --revert will not write back (the harmful value this apply replaces), as a sentence.
  std::vector<std::string> not_revertible;
  std::string boot_note;  // other namespaces: why `conf` is left alone; "" for the host's
  bool host() const { return target->host_netns; }
};

// Both pointers must outlive the report.
ApplyReport make_apply_report(const ApplyPlan& plan, const ApplyTarget& target,
                              const ApplyPaths& paths);

// `applied`: the values were written (--yes and something to write); `error`: writing failed.
nlohmann::json apply_to_json(const ApplyReport& r, bool applied,
                             const std::optional<std::string>& error = std::nullopt);

}  // namespace tw
