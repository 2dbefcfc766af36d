// SPDX-License-Identifier: Apache-2.0
// Scenario `port-range-per-socket`: IP_LOCAL_PORT_RANGE (Linux 6.3) gives a socket its own
// slice of ip_local_port_range, so clients sharing one source address can split its ports; and
// the parity split: connect() takes ports of the range's low end's parity first (bind() the
// others), so once those are used up each connect() scans them all before it finds one, which
// shows as connect() latency. A socket with IP_LOCAL_PORT_RANGE drops the even-first preference
// (Linux 6.8). On a kernel without the option the scenario says it is unsupported, and its rows
// differ: nothing passes silently.
#pragma once

#include <optional>
#include <string>

#include "lab/port_exhaustion.h"
#include "lab/scenario.h"

namespace tw::lab {

// Nullopt when this kernel knows IP_LOCAL_PORT_RANGE, else why not (with the kernel release).
std::optional<std::string> port_range_option_missing();

struct RangeSplitRun {
  int low = 0, high = 0;  // the namespace's range; client A takes the lower half, B the upper
  ExhaustStats a, b;      // A runs out first, then B runs
  int64_t a_outside = 0, b_outside = 0;  // ports outside the socket's own range
};
Result<RangeSplitRun> measure_range_split(int low, int high);

struct ParityRun {
  int low = 0, high = 0;
  bool per_socket_range = false;  // each socket sets IP_LOCAL_PORT_RANGE to the whole range
  ExhaustStats stats;
  // Of the first half of connections (as many as the range has ports of the low end's parity):
  // how many got such a port.
  int64_t first_half = 0, first_half_low_parity = 0;
  double early_us = 0, late_us = 0;  // median connect() of the first and the last tenth
};
Result<ParityRun> measure_parity(int low, int high, bool per_socket_range);

Result<ScenarioResult> run_port_range_per_socket(const LabOptions& options);

}  // namespace tw::lab
