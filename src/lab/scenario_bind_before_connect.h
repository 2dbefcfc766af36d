// SPDX-License-Identifier: Apache-2.0
// Scenario `bind-before-connect`: a client that bind()s (addr, 0) before connect() draws every
// connection's port from one pool per source address, whatever the destination; connect() alone,
// or IP_BIND_ADDRESS_NO_PORT before the bind, keeps a pool per destination. Measured as the
// connections that fit before the first failure toward several destinations.
#pragma once

#include "lab/port_exhaustion.h"
#include "lab/scenario.h"

namespace tw::lab {

struct BindBeforeConnectSetup {
  int port_low = 40000, port_high = 40063;  // the client's ip_local_port_range
  int destinations = 4;                     // server ports, taken in turn
  BindMode bind = BindMode::kNone;
};

struct BindBeforeConnectRun {
  BindBeforeConnectSetup setup;
  ExhaustStats stats;
  int ports = 0;               // in the client's range
  int64_t distinct_ports = 0;  // local ports the connections used
};

// One variant in a fresh client/server pair.
Result<BindBeforeConnectRun> measure_bind_before_connect(const BindBeforeConnectSetup& setup);

Result<ScenarioResult> run_bind_before_connect(const LabOptions& options);

}  // namespace tw::lab
