// SPDX-License-Identifier: Apache-2.0
// The diff `doctor --apply` shows before it writes the sysctl.d file.
#pragma once

#include <string>

namespace tw {

// A line diff of old and new file text ("--- path", "+++ path", lines with " ", "-", "+").
std::string render_diff(const std::string& path, const std::string& old_text,
                        const std::string& new_text);

}  // namespace tw
