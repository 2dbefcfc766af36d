// SPDX-License-Identifier: Apache-2.0
// The interface every text format implements: one line in, one verdict out. Parsers keep only
// what a header tells (column order, the section being read), so importing streams in constant
// memory.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "model/socket.h"

namespace tw {

enum class LineKind {
  kSocket,   // *socket was filled
  kHeader,   // a title or column header of this format
  kIgnored,  // understood, but not a TCP socket (UDP, unix sockets, detail lines)
  kBad,      // fits this format nowhere
  kOwner,    // names the owner of the socket on the line above (Windows netstat -b); in detail
};

struct LineResult {
  LineKind kind = LineKind::kBad;
  // For kIgnored and kBad: a fixed phrase (from a small set, so counting by reason stays small).
  // For kSocket: empty, or a warning that the socket may be wrong in a way the dump cannot tell.
  const char* reason = "";
  // For kBad: what was seen, shown in the first examples only.
  std::string detail;
  // For kSocket: endpoints kept as printed only because the tool cut them to its column (they
  // are Endpoint::is_named() but hold no host or service name).
  uint8_t cut = 0;
  // For kBad: the line shows that no count of this dump is right (a state in a language no parser
  // reads, a second snapshot of the same table): the import stops there instead of skipping it.
  bool refuses_dump = false;
};

inline LineResult socket_line() { return {LineKind::kSocket, "", {}}; }
inline LineResult header_line() { return {LineKind::kHeader, "", {}}; }
inline LineResult ignored_line(const char* why) { return {LineKind::kIgnored, why, {}}; }
inline LineResult bad_line(const char* why, std::string detail = {}) {
  return {LineKind::kBad, why, std::move(detail)};
}
inline LineResult refusing_line(const char* why, std::string detail = {}) {
  LineResult r = bad_line(why, std::move(detail));
  r.refuses_dump = true;
  return r;
}
// `owner` empty: the line says the owner is unknown ("Can not obtain ownership information").
inline LineResult owner_line(std::string_view owner) {
  return {LineKind::kOwner, "", std::string(owner)};
}

class LineParser {
 public:
  virtual ~LineParser() = default;
  // `line` has no line terminator and is not blank. On kSocket, socket->original_state may point
  // into `line`.
  virtual LineResult parse(std::string_view line, Socket* socket) = 0;
  // True for formats whose sockets may be followed by kOwner lines: the importer then holds
  // each socket back until the next line tells whether an owner follows.
  virtual bool has_owner_lines() const { return false; }
};

}  // namespace tw
