// SPDX-License-Identifier: Apache-2.0
// Raw /proc/net/tcp and /proc/net/tcp6 text (`cat /proc/net/tcp /proc/net/tcp6`, headers and
// all): hex addresses, st codes, and for TIME_WAIT the remaining timer in "tr tm->when", so the
// creation-rate estimate works on such dumps too. Lines are read by tw::parse_proc_tcp_line.
#pragma once

#include "import/line_parser.h"

namespace tw {

class ProcTextParser : public LineParser {
 public:
  LineResult parse(std::string_view line, Socket* socket) override;
};

}  // namespace tw
