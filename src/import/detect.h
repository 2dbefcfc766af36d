// SPDX-License-Identifier: Apache-2.0
// Tells the format of a dump from its first lines: every line format reads them, and the one
// that reads the most sockets wins, then the one that understands the most other lines (headers,
// owner lines, lines it knows hold no TCP socket). Lines a parser refuses never decide: a format
// does not win because another skipped more.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tw {

struct Detection {
  std::string format;  // a name from text_formats(), or "" when no format reads any line
  // When format is "": the format whose parser got furthest into the lines (past the first
  // column) and its first reason with the line number in `head` (1-based), so the user learns
  // what is wrong ("no state column"), not only that nothing fit. "" when none got that far.
  std::string closest, closest_reason;
  size_t closest_line = 0;
};

// The first non-blank lines of a dump (a few dozen are plenty).
Detection detect_format(const std::vector<std::string>& head);

}  // namespace tw
