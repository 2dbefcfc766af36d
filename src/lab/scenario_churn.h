// SPDX-License-Identifier: Apache-2.0
// Scenario `churn`: short connections to one server address:port with a shrunken client port
// range, under tw_reuse 0, tw_reuse 1 (timestamps on) and timestamps off.
#pragma once

#include <string>

#include "lab/churn_client.h"
#include "lab/scenario.h"

namespace tw::lab {

struct ChurnSetup {
  int port_low = 40000, port_high = 40499;
  int tw_reuse = 0;
  bool timestamps = true;
  double rate = 0;
  double seconds = 3;
  int64_t max_connects = 200000;
  bool blocking = false;  // the minimal blocking loop instead of the epoll generator
};

struct ChurnVariant {
  ChurnSetup setup;
  ChurnStats stats;
  int ports = 0;                  // usable ports in the client's range
  int64_t reuse_delay_ms = 1000;  // tcp_tw_reuse_delay in force (absent before Linux 6.14)
  int64_t client_time_wait = 0;   // census of the client namespace at the end
  int64_t server_time_wait = 0;
  int64_t tw_recycled = 0;  // TcpExt TWRecycled delta: connects that took over a TIME_WAIT
};

// One variant in a fresh client/server pair.
Result<ChurnVariant> measure_churn(const ChurnSetup& setup);

Result<ScenarioResult> run_churn(const LabOptions& options);

}  // namespace tw::lab
