// SPDX-License-Identifier: Apache-2.0
// `doctor --apply` and `--revert` carried out: the kernel settings among the findings' fixes go to
// one sysctl.d file (written atomically, diff shown first) and into /proc/sys of the calling
// thread's namespace; the values they replace are kept so --revert restores them. The parts, one
// idea a file: apply_plan (what to write; harmful_values refuses), text_diff, sysctl_conf (the
// file's text), apply_target (whose /proc/sys), apply_backup (the backup format and where it
// lives), backup_contents (what a revert agrees to restore), os/sysctl (/proc/sys).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "doctor/apply_backup.h"
#include "doctor/apply_plan.h"
#include "doctor/backup_contents.h"
#include "doctor/harmful_values.h"
#include "doctor/text_diff.h"
#include "model/result.h"
#include "os/sysctl.h"

namespace tw {

// Writes one sysctl (dotted name) of the calling thread's namespace; reads one, as the kernel
// prints it (the trailing newline dropped). Tests pass their own; the doctor passes os/sysctl's.
using SysctlWriter = std::function<Status(const std::string& name, const std::string& value)>;
using SysctlReader = std::function<Result<std::string>(const std::string& name)>;
inline constexpr auto* write_proc_sysctl = &os::write_sysctl;
inline constexpr auto* read_proc_sysctl = &os::read_sysctl;

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
