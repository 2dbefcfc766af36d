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

// Refuses (a sentence for the user) a backup that names a setting `--apply` never writes, a value
// that is not a number, range or port list, or a sysctl.d line `--apply` would not have written:
// a hand edit could make --revert write any sysctl (kernel.core_pattern) or put any line in the
// boot-time file.
// A line harmful_reason refuses in the sysctl.d text is a hand edit too (--apply never writes one).
Status check_backup_contents(const SavedApply& saved);

// The saved values --revert does not write back ("name = value (why)"): those --apply would
// refuse as harmful (harmful_reason without the comparisons with the value in force, which a
// revert undoes by design), such as the tcp_timestamps = 0 an apply replaced, or values planted
// to be "restored" (tcp_max_tw_buckets = 0). The rest is restored.
std::vector<std::string> restore_refusals(const SavedApply& saved);
// The one line that says which values were not restored, and what to do.
std::string refused_restore(const SavedApply& saved, const std::vector<std::string>& refused);

// Under the lock: keeps the values in force now in `target`'s backup (merged with an earlier,
// unreverted apply of the same target, whose originals are never overwritten; an older
// timewait's single backup of it is moved to backup_path), sets each value, then writes the file
// atomically. All or nothing: when the kernel refuses a value or a write fails, the values
// already set are put back, the backup is as before and the file untouched.
Status execute_apply(const ApplyPlan& plan, const ApplyPaths& paths, const ApplyTarget& target,
                     const SysctlWriter& write, const SysctlReader& read = read_proc_sysctl);

struct RevertReport {
  std::vector<SysctlChange> restored;  // new_value = the restored value
  bool conf_removed = false;           // the file did not exist before --apply
  bool conf_touched = true;            // false: the apply never wrote it (another namespace)
  std::vector<std::string> refused;    // restore_refusals: left as they are now
};

// Under the lock: restores the values saved by execute_apply for `target`, then the file, then
// drops the copy. Refused before anything is written: a backup read_backup refuses, or one with
// restore_refusals. All or nothing as execute_apply: a refused value puts back the ones restored.
Result<RevertReport> revert_apply(const ApplyPaths& paths, const ApplyTarget& target,
                                  const SysctlWriter& write,
                                  const SysctlReader& read = read_proc_sysctl);

}  // namespace tw
