// `doctor --apply` and `--revert`: the kernel settings among the findings' fixes go to one
// sysctl.d file (written atomically, diff shown first) and into /proc/sys of the calling thread's
// namespace; the values they replace are kept so --revert restores them. Harmful settings are
// refused whatever a finding says.
#pragma once

#include <cstdint>
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

// The network namespace (and host) whose /proc/sys an apply wrote: the backup records it, and
// only the same namespace on the same host may be reverted from it.
struct ApplyTarget {
  uint64_t netns_inode = 0;  // /proc/thread-self/ns/net
  std::string netns;         // "host", a name (ip netns), "pid:N"
  std::string host;          // hostname
};
std::string describe(const ApplyTarget& t);  // "netns blue (inode 4026532281) on web1"

// What the backup holds: where it was written, the values to restore (nullopt: unknown when
// applied) and the sysctl.d file as it was.
struct SavedApply {
  std::optional<ApplyTarget> target;  // nullopt: written by a timewait that did not record it
  std::vector<std::pair<std::string, std::optional<std::string>>> values;
  bool conf_existed = false;
  std::string conf;
};
// nullopt when there is no backup.
Result<std::optional<SavedApply>> read_backup(const ApplyPaths& paths);

// Refuses (a sentence for the user) a backup written for another namespace or host than
// `target`: restoring it here would write another namespace's values. No backup is fine.
Status check_backup_target(const ApplyPaths& paths, const ApplyTarget& target);

// Keeps the old values (merged with an earlier, unreverted apply of the same target), writes the
// file atomically, then sets each value. Every failure is reported; the first one is returned.
Status execute_apply(const ApplyPlan& plan, const ApplyPaths& paths, const ApplyTarget& target,
                     const SysctlWriter& write);

struct RevertReport {
  std::vector<SysctlChange> restored;  // new_value = the restored value
  bool conf_removed = false;           // the file did not exist before --apply
};

// Restores the file and the values saved by execute_apply for `target`, then drops the copy.
Result<RevertReport> revert_apply(const ApplyPaths& paths, const ApplyTarget& target,
                                  const SysctlWriter& write);

}  // namespace tw
