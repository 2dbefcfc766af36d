// Windows `netstat -an` and `netstat -ano` (English headers): "  TCP    127.0.0.1:18115
// 127.0.0.1:80    TIME_WAIT    0", IPv6 in brackets ([::]:135, [fe80::1%4]:80), UDP lines
// ignored. -o adds the owning PID (0 for TIME_WAIT rows, which no process owns).
#pragma once

#include "import/line_parser.h"

namespace tw {

class NetstatWindowsParser : public LineParser {
 public:
  LineResult parse(std::string_view line, Socket* socket) override;
};

}  // namespace tw
