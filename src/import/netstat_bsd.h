// macOS and FreeBSD `netstat -an -p tcp` (and `netstat -an`, whose UDP and unix socket lines are
// ignored): "tcp4  0  0  127.0.0.1.8080  127.0.0.1.52345  ESTABLISHED", with the port after the
// last dot, "*.*" wildcards and protos tcp4, tcp6 and tcp46 (a dual-stack socket).
#pragma once

#include "import/line_parser.h"

namespace tw {

class NetstatBsdParser : public LineParser {
 public:
  LineResult parse(std::string_view line, Socket* socket) override;

 private:
  bool other_section_ = false;  // inside a unix socket or kernel control list
};

}  // namespace tw
