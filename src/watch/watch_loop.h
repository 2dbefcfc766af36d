// SPDX-License-Identifier: Apache-2.0
// The refresh loops of `timewait watch`: every interval a new sample from the shared sampler,
// made into a Frame, then painted on the screen, written as a log block or as a JSON line. The
// loops end on q, Ctrl-C or SIGTERM (the terminal is given back either way), after --count
// refreshes or after --duration.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

#include "model/result.h"
#include "sampler/sampler.h"
#include "watch/frame.h"

namespace tw::watch {

struct WatchOptions {
  std::chrono::milliseconds interval{1000};
  int64_t count = 0;      // refreshes; 0: no limit
  double duration_s = 0;  // 0: no limit
  StateMask states = StateMask::all();
  SortKey sort = SortKey::kPressure;
  size_t top = 10;     // destinations per log block or JSON line
  bool colour = true;  // the screen may use colours (NO_COLOR unset)
};

// A new sample of the sampler's first target, as a frame; of every target (build_node_frame)
// when the sampler reads a node.
Frame next_frame(Sampler& sampler, StateMask states);

enum class LineFormat { kLog, kJson };
// One block (or JSON line) per refresh to `out`, flushed each time so a pipe sees it live.
Status run_lines(Sampler& sampler, const WatchOptions& o, LineFormat format, std::FILE* out);
// The full-screen view on the terminal.
Status run_screen(Sampler& sampler, const WatchOptions& o);

}  // namespace tw::watch
