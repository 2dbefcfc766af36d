// SPDX-License-Identifier: Apache-2.0
#include "import/detect.h"

#include <tuple>

#include "import/formats.h"
#include "import/text_fields.h"

namespace tw {

namespace {

// A refusal at the first column ("not a netstat tcp line", an ss state name that is the first
// word) says only that the line is of another format; one further in says what is wrong with it.
bool refused_at_first_column(const LineResult& r, std::string_view line) {
  std::string_view f[1];
  split_fields(line, f, 1);
  std::string_view why = r.reason;
  for (auto prefix : {"not a ", "data before", "CSV header lacks", "the table lacks"})
    if (why.starts_with(prefix)) return true;
  return r.detail == f[0];
}

}  // namespace

Detection detect_format(const std::vector<std::string>& head) {
  Detection out;
  // Sockets, headers and owner lines, ignored lines, then lines refused past the first column
  // (the format got further into them: BSD -T rows under headers Linux netstat reads too).
  std::tuple<int, int, int, int> best{0, 0, 0, 0};
  int best_deep = 0;
  for (const TextFormat& format : text_formats()) {
    // Detection reads `ss ... state FILTER` lines as sockets; the import then asks for --state.
    auto parser = make_parser(format.name, TcpState::kTimeWait);
    int sockets = 0, known = 0, ignored = 0, deep = 0;
    std::string first_reason;
    size_t first_line = 0;
    for (size_t i = 0; i < head.size(); ++i) {
      Socket s;
      LineResult r = parser->parse(head[i], &s);
      switch (r.kind) {
        case LineKind::kSocket:
          ++sockets;
          break;
        case LineKind::kHeader:
        case LineKind::kOwner:
          ++known;
          break;
        case LineKind::kIgnored:
          ++ignored;
          break;
        case LineKind::kBad:
          if (!refused_at_first_column(r, head[i])) {
            if (!deep++) {
              first_reason = r.reason;
              if (!r.detail.empty()) first_reason += " (" + r.detail + ")";
              first_line = i + 1;
            }
          }
          break;
      }
    }
    // Ignored lines alone (a unix socket list) do not make a format; sockets or headers do.
    std::tuple<int, int, int, int> score{sockets, known, ignored, deep};
    if ((sockets > 0 || known > 0) && score > best) {
      best = score;
      out.format = std::string(format.name);
    }
    if (deep > best_deep) {
      best_deep = deep;
      out.closest = std::string(format.name);
      out.closest_reason = first_reason;
      out.closest_line = first_line;
    }
  }
  if (!out.format.empty()) out.closest.clear(), out.closest_reason.clear(), out.closest_line = 0;
  return out;
}

}  // namespace tw
