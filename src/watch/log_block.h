// SPDX-License-Identifier: Apache-2.0
// `timewait watch` when standard output is not a terminal: one compact block of plain text per
// refresh, stamped with the time, for a log to keep (`timewait watch > tw.log`, `| tee`).
#pragma once

#include <cstddef>
#include <string>

#include "watch/frame.h"

namespace tw::watch {

// The block for one refresh: a line of states and rates, the counters that moved, the `top`
// worst destinations (or groups) and the doctor's worst finding; every line ends in '\n'.
std::string render_log_block(const Frame& f, size_t top);

}  // namespace tw::watch
