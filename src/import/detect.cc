#include "import/detect.h"

#include "import/formats.h"

namespace tw {

std::string detect_format(const std::vector<std::string>& head) {
  // Most lines understood wins (a dump may carry junk: it is skipped later, with reasons); on a
  // tie, sockets weigh more than headers, and the earlier format wins.
  std::string best;
  int best_recognized = 0, best_score = 0;
  for (const TextFormat& format : text_formats()) {
    // Detection reads `ss ... state FILTER` lines as sockets; the import then asks for --state.
    auto parser = make_parser(format.name, TcpState::kTimeWait);
    int score = 0, recognized = 0;
    for (const std::string& line : head) {
      Socket s;
      LineResult r = parser->parse(line, &s);
      switch (r.kind) {
        case LineKind::kSocket:
          score += 3;
          ++recognized;
          break;
        case LineKind::kHeader:
          score += 2;
          ++recognized;
          break;
        case LineKind::kIgnored:
          score += 1;
          break;
        case LineKind::kBad:
          score -= 1;
          break;
      }
    }
    if (recognized > best_recognized ||
        (recognized == best_recognized && recognized > 0 && score > best_score)) {
      best_recognized = recognized;
      best_score = score;
      best = std::string(format.name);
    }
  }
  return best;
}

}  // namespace tw
