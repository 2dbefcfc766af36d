// SPDX-License-Identifier: Apache-2.0
// Scenario `source-addresses`: toward one destination address:port, each source address brings
// its own ephemeral ports, so N addresses (taken in turn, with IP_BIND_ADDRESS_NO_PORT) carry N
// times the connections before the first EADDRNOTAVAIL.
#pragma once

#include "lab/port_exhaustion.h"
#include "lab/scenario.h"

namespace tw::lab {

struct SourceAddressesRun {
  int addresses = 1;
  int ports = 0;
  ExhaustStats stats;
};

// `addresses` source addresses on the client (10.77.1.1, then 10.77.1.11, ...), the client's
// ip_local_port_range port_low-port_high, one server port.
Result<SourceAddressesRun> measure_source_addresses(int addresses, int port_low, int port_high);

Result<ScenarioResult> run_source_addresses(const LabOptions& options);

}  // namespace tw::lab
