// SPDX-License-Identifier: Apache-2.0
// Linux net-tools `netstat -ant`, `-antp` (PID/Program name), `-antW` and `-n` (tcp and tcp6
// lines among udp and unix socket lines), also with -e (User, Inode) and -o (Timer). Without -W
// netstat cuts an address so that "address:port" fits 23 characters: such IPv6 sockets are read
// with the address kept as printed, or (when the cut text still parses) with a warning.
#pragma once

#include "import/line_parser.h"

namespace tw {

class NetstatLinuxParser : public LineParser {
 public:
  // A socket whose IPv6 address filled the 23-character column comes with the warning
  // kNetstatMaybeCut.
  LineResult parse(std::string_view line, Socket* socket) override;

 private:
  bool other_section_ = false;  // inside "Active UNIX domain sockets" or another non-IP list
};

// The warning for a tcp6 line whose address was cut (it does not parse): kept as printed.
inline constexpr const char* kNetstatCut =
    "IPv6 address cut short by netstat's 23-character column, kept as printed and left out of "
    "port pressure (capture with `netstat -antW`)";

// The warning for a tcp6 line whose address may have been cut.
inline constexpr const char* kNetstatMaybeCut =
    "IPv6 address fills netstat's 23-character column and may have been cut (capture with "
    "`netstat -antW`)";

}  // namespace tw
