// SPDX-License-Identifier: Apache-2.0
// The text of the sysctl.d file `doctor --apply` writes: its `name = value` lines, and whether a
// file holds only what --apply could have written.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tw {

// Tabs and newlines as spaces, runs of spaces as one, trailing ones dropped: a value as a
// sysctl.d line and the kernel compare equal.
std::string fold_blanks(std::string_view s);

// `name = value` lines of a sysctl.d file, in order (comments dropped).
std::vector<std::pair<std::string, std::string>> conf_entries(const std::string& text);

// Why `text` is not a sysctl.d file --apply could have written, or "": comments and the settings
// it writes, with values it does not refuse.
std::string conf_problem(const std::string& text);

}  // namespace tw
