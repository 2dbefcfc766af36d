// SPDX-License-Identifier: Apache-2.0
// What `--revert` agrees to restore from a backup: only the settings and values `--apply` could
// have saved (a hand edit could make it write any sysctl), never a harmful one.
#pragma once

#include <string>
#include <vector>

#include "doctor/apply_backup.h"
#include "model/result.h"

namespace tw {

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

}  // namespace tw
