// `doctor --apply` and `--revert`: the kernel settings among the findings' fixes go to one
// sysctl.d file (written atomically, diff shown first) and into /proc/sys of the calling thread's
// namespace; the values they replace are kept so --revert restores them. Harmful settings are
// refused whatever a finding says.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "doctor/finding.h"
#include "model/host_facts.h"
#include "model/result.h"

namespace tw {

// Where --apply writes; `root` prefixes both paths (tests use a temporary directory). /proc/sys is
// never prefixed: it is the target namespace's own.
struct ApplyPaths {
  std::string root;  // "" = /
  std::string conf() const { return root + "/etc/sysctl.d/60-timewait.conf"; }
  std::string backup() const { return root + "/var/lib/timewait/sysctl-backup.json"; }
};

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
};

// Why setting `name` to `value` (now `current`) is harmful, or nullopt if it is not.
std::optional<std::string> harmful_reason(const std::string& name, const std::string& value,
                                          const std::optional<std::string>& current);

// The settings to apply: findings' sysctls with apply = true whose value differs from `facts`,
// first finding wins (findings are worst first); harmful ones are refused.
Result<ApplyPlan> plan_apply(const std::vector<Finding>& findings, const HostFacts& facts,
                             const ApplyPaths& paths);

// A line diff of old and new file text ("--- path", "+++ path", lines with " ", "-", "+").
std::string render_diff(const std::string& path, const std::string& old_text,
                        const std::string& new_text);

// Writes one sysctl (dotted name) of the calling thread's namespace.
using SysctlWriter = std::function<Status(const std::string& name, const std::string& value)>;
Status write_proc_sysctl(const std::string& name, const std::string& value);

// Keeps the old values (merged with an earlier, unreverted apply), writes the file atomically,
// then sets each value. Every failure is reported; the first one is returned.
Status execute_apply(const ApplyPlan& plan, const ApplyPaths& paths, const SysctlWriter& write);

struct RevertReport {
  std::vector<SysctlChange> restored;  // new_value = the restored value
  bool conf_removed = false;           // the file did not exist before --apply
};

// Restores the file and the values saved by execute_apply, then drops the copy.
Result<RevertReport> revert_apply(const ApplyPaths& paths, const SysctlWriter& write);

// Writes `text` to `path` through a temporary file beside it and rename(2), creating parent
// directories.
Status write_file_atomically(const std::string& path, const std::string& text);

}  // namespace tw
