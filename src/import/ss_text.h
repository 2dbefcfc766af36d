// SPDX-License-Identifier: Apache-2.0
// `ss -tan` output in its variants: -p (users:((...,pid=N,...))), -i (indented detail lines),
// -o (timer:(timewait,59sec,0)), -e (uid:, ino:), -H (no header), and `ss ... state FILTER`,
// which drops the State column: its state comes from the filter (SsTextParser's implied state).
#pragma once

#include <optional>

#include "import/line_parser.h"
#include "model/tcp_state.h"

namespace tw {

class SsTextParser : public LineParser {
 public:
  explicit SsTextParser(std::optional<TcpState> implied_state) : implied_(implied_state) {}
  LineResult parse(std::string_view line, Socket* socket) override;

 private:
  std::optional<TcpState> implied_;
  bool netid_ = false;  // the header had a Netid column (ss -a without -t)
};

}  // namespace tw
