// SPDX-License-Identifier: Apache-2.0
// Scenario `reuseaddr`: restarting a server whose port still has connections (TIME_WAIT or
// established) left from the old process: bind() without SO_REUSEADDR fails with EADDRINUSE,
// with it succeeds.
#pragma once

#include <string>

#include "lab/scenario.h"

namespace tw::lab {

struct RebindOutcome {
  std::string left;               // what the old server left on the port
  bool old_had_reuseaddr = true;  // the old listener set SO_REUSEADDR (accepted sockets inherit)
  int64_t left_count = 0;         // sockets on the port at restart (census)
  int without_errno = 0;          // bind() errno without SO_REUSEADDR (0 = success)
  int with_errno = 0;             // bind()+listen() errno with SO_REUSEADDR
};

// Three restarts: established connections left, TIME_WAIT left (server closed first), and TIME_WAIT
// left by an old server that did not set SO_REUSEADDR.
Result<std::vector<RebindOutcome>> measure_reuseaddr(int connections);
Result<ScenarioResult> run_reuseaddr(const LabOptions& options);

}  // namespace tw::lab
