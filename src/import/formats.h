// SPDX-License-Identifier: Apache-2.0
// The formats `census --from` reads: name, the OS a dump of it comes from, and a parser.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "import/line_parser.h"
#include "model/tcp_state.h"

namespace tw {

struct TextFormat {
  std::string_view name;
  std::string_view os;           // HostFacts::os of a host that prints it ("" unknown)
  std::string_view description;  // for --help and docs
};

// The JSON snapshot of `census --save`; not line based, read by tw::read_snapshot.
inline constexpr std::string_view kSnapshotFormat = "snapshot";

// Line formats, in the order detection prefers them on a tie.
const std::vector<TextFormat>& text_formats();
const TextFormat* find_text_format(std::string_view name);

// A fresh parser for a format from text_formats().
std::unique_ptr<LineParser> make_parser(std::string_view name,
                                        std::optional<TcpState> implied_state);

}  // namespace tw
