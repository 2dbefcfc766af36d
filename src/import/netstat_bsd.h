// SPDX-License-Identifier: Apache-2.0
// macOS and FreeBSD `netstat -an -p tcp` (and `netstat -an`, whose UDP and unix socket lines are
// ignored): "tcp4  0  0  127.0.0.1.8080  127.0.0.1.52345  ESTABLISHED", with the port after the
// last dot, "*.*" wildcards and protos tcp4, tcp6 and tcp46 (a dual-stack socket). -A adds the
// control block's address first (and on macOS the flow hash): "fffff80004a1c3d0 tcp4 0 0
// 10.0.0.5.22 10.0.0.9.61330 ESTABLISHED"; -b, -v and -P add columns after the state. Without
// -n names are printed: "localhost.ssh", "myhost.local.62979".
#pragma once

#include "import/line_parser.h"

namespace tw {

class NetstatBsdParser : public LineParser {
 public:
  LineResult parse(std::string_view line, Socket* socket) override;

 private:
  bool other_section_ = false;  // inside a unix socket or kernel control list
  bool state_column_ = true;    // the last header had "(state)" (not so with -T, -x, -R, -L)
  bool wide_ = false;           // an address longer than the column was seen: -W, nothing is cut
};

// The warning for a socket with an endpoint netstat may have cut to its column (kept as printed).
inline constexpr const char* kNetstatBsdCut =
    "address or port cut to netstat's column, kept as printed and left out of port pressure "
    "(capture with `netstat -anW`)";

}  // namespace tw
