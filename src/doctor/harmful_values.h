// SPDX-License-Identifier: Apache-2.0
// Which kernel settings `doctor --apply` may write and `--revert` may restore, and the values it
// refuses whatever a finding or a backup says (tcp_tw_recycle, timestamps off, a narrower pool).
#pragma once

#include <optional>
#include <string>

namespace tw {

// Why setting `name` to `value` (now `current`) is harmful, or nullopt if it is not.
std::optional<std::string> harmful_reason(const std::string& name, const std::string& value,
                                          const std::optional<std::string>& current);

// The settings --apply may write and --revert may restore, and the values they may take: a
// backup naming anything else (a hand edit) is refused before anything is written.
bool is_managed_sysctl(const std::string& name);
bool is_sysctl_value(const std::string& value);

// Why a name = value pair of a backup cannot be restored by timewait (not managed, or not a
// value the kernel prints), or "".
std::string unmanaged_reason(const std::string& name, const std::optional<std::string>& value);

}  // namespace tw
