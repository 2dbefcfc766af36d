// Tells the format of a dump from its first lines: every line format reads them, and the one
// that understands most of them wins (on a tie, the one that found more sockets).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tw {

// The first non-blank lines of a dump (a few dozen are plenty).
// Returns a name from text_formats(), or "" when no format reads any of them.
std::string detect_format(const std::vector<std::string>& head);

}  // namespace tw
