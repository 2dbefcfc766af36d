// SPDX-License-Identifier: Apache-2.0
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
  std::string lock() const { return root + "/var/lib/timewait/.lock"; }
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
  // False for a namespace other than the one timewait runs in: /etc/sysctl.d is applied at boot
  // to the namespace that reads it, so writing another namespace's values there would set them
  // on this one at the next boot. The file is then neither written nor restored.
  bool persist = true;
};

// Why setting `name` to `value` (now `current`) is harmful, or nullopt if it is not.
std::optional<std::string> harmful_reason(const std::string& name, const std::string& value,
                                          const std::optional<std::string>& current);

// The settings to apply: findings' sysctls with apply = true whose value differs from `facts`,
// first finding wins (findings are worst first); harmful ones are refused.
Result<ApplyPlan> plan_apply(const std::vector<Finding>& findings, const HostFacts& facts,
                             const ApplyPaths& paths, bool persist = true);

// A line diff of old and new file text ("--- path", "+++ path", lines with " ", "-", "+").
std::string render_diff(const std::string& path, const std::string& old_text,
                        const std::string& new_text);

// Writes one sysctl (dotted name) of the calling thread's namespace.
using SysctlWriter = std::function<Status(const std::string& name, const std::string& value)>;
Status write_proc_sysctl(const std::string& name, const std::string& value);
// Reads one, as the kernel prints it (the trailing newline dropped).
using SysctlReader = std::function<Result<std::string>(const std::string& name)>;
Result<std::string> read_proc_sysctl(const std::string& name);

// The settings --apply may write and --revert may restore, and the values they may take: a
// backup naming anything else (a hand edit) is refused before anything is written.
bool is_managed_sysctl(const std::string& name);
bool is_sysctl_value(const std::string& value);

// The network namespace (and host) whose /proc/sys an apply wrote: the backup records it, and
// only the same namespace on the same host may be reverted from it.
struct ApplyTarget {
  uint64_t netns_inode = 0;  // /proc/thread-self/ns/net
  std::string netns;         // "host", a name (ip netns), "pid:N"
  std::string host;          // hostname
  // An inode is given again to a namespace made after one is gone; the cookie is not (0:
  // unknown). Both hold for one boot only: boot_id tells which.
  uint64_t netns_cookie = 0;
  std::string boot_id;     // /proc/sys/kernel/random/boot_id
  std::string machine_id;  // /etc/machine-id: a host name can repeat across machines
  std::string kernel;      // uname release
};
// The boot and machine of this process filled in (the rest is the caller's).
ApplyTarget with_this_boot(ApplyTarget t);
// The initial network namespace's inode (PROC_NET_INIT_INO): the one /etc/sysctl.d sets at boot.
inline constexpr uint64_t kInitNetnsInode = 0xF0000000;
std::string describe(const ApplyTarget& t);  // "netns blue (inode 4026532281) on web1"

// What the backup holds: where it was written, the values to restore (nullopt: unknown when
// applied) and the sysctl.d file as it was.
struct SavedApply {
  std::optional<ApplyTarget> target;  // nullopt: written by a timewait that did not record it
  std::string written_at;             // ISO 8601 UTC, "" when not recorded
  std::vector<std::pair<std::string, std::optional<std::string>>> values;
  bool conf_existed = false;
  std::string conf;
  bool persisted = true;  // the apply wrote the sysctl.d file (backups before this field did)
};
// nullopt when there is no backup.
Result<std::optional<SavedApply>> read_backup(const ApplyPaths& paths);

// Refuses (a sentence for the user) a backup written for another namespace or host than
// `target`: restoring it here would write another namespace's values. No backup is fine.
Status check_backup_target(const ApplyPaths& paths, const ApplyTarget& target);

// Under the lock: keeps the values in force now (merged with an earlier, unreverted apply of the
// same target, whose originals are never overwritten), sets each value, then writes the file
// atomically. All or nothing: when the kernel refuses a value or a write fails, the values
// already set are put back, the backup is as before and the file untouched.
Status execute_apply(const ApplyPlan& plan, const ApplyPaths& paths, const ApplyTarget& target,
                     const SysctlWriter& write, const SysctlReader& read = read_proc_sysctl);

struct RevertReport {
  std::vector<SysctlChange> restored;  // new_value = the restored value
  bool conf_removed = false;           // the file did not exist before --apply
  bool conf_touched = true;            // false: the apply never wrote it (another namespace)
};

// Under the lock: restores the values saved by execute_apply for `target`, then the file, then
// drops the copy. All or nothing as execute_apply: a refused value puts back the ones restored.
Result<RevertReport> revert_apply(const ApplyPaths& paths, const ApplyTarget& target,
                                  const SysctlWriter& write,
                                  const SysctlReader& read = read_proc_sysctl);

}  // namespace tw
