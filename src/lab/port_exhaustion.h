// SPDX-License-Identifier: Apache-2.0
// Connections one after another until the local ports run out: each connect()s (after bind()
// when asked), is accepted, and is closed by the client, which keeps the port in TIME_WAIT. The
// scenarios about where ports come from (bind-before-connect, source-addresses,
// port-range-per-socket) count how many connections fit before the first failure, which call
// failed and why, and which local port each connection got, and how long its connect took.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lab/namespace.h"
#include "lab/server.h"
#include "lab/topology.h"
#include "model/result.h"

namespace tw::lab {

enum class BindMode {
  kNone,        // connect() alone: the port is chosen per destination
  kBindPort,    // bind(source, 0) first: the port is chosen by bind(), for the address alone
  kBindNoPort,  // IP_BIND_ADDRESS_NO_PORT, then bind(source, 0): the port is chosen at connect()
};

struct ExhaustConfig {
  std::vector<std::string> sources;                     // taken in turn; empty: no bind
  std::vector<std::pair<std::string, uint16_t>> dests;  // taken in turn
  BindMode bind = BindMode::kNone;
  uint16_t range_low = 0, range_high = 0;  // IP_LOCAL_PORT_RANGE per socket (0/0: unset)
  int64_t max_connects = 1000;             // bounds
  double max_seconds = 10;
  bool stop_at_failure = true;  // else count failures and go on to max_connects
};

struct ExhaustStats {
  int64_t connects = 0;  // connected and closed by the client
  int64_t failures = 0;
  int64_t before_failure = 0;      // connections before the first failure (all when none failed)
  int first_errno = 0;             // of the first failure (EADDRNOTAVAIL, EADDRINUSE, ...)
  std::string first_error;         // "bind for ...: Address already in use (EADDRINUSE)"
  std::vector<uint16_t> ports;     // local port of each connection, in order
  std::vector<double> connect_us;  // how long each successful connect took
  double seconds = 0;
  int64_t client_time_wait = 0;  // census of the client namespace after the run
  bool failed() const { return first_errno != 0; }
};

// Runs on a thread inside `client`, then takes the client's census.
Result<ExhaustStats> run_until_exhausted(const Netns& client, const ExhaustConfig& config);

// Fresh client/server namespaces with the client's ip_local_port_range low-high and lab servers
// (the client closes first) on `server_ports` ports from kExhaustFirstPort; `dests` lists them.
inline constexpr uint16_t kExhaustFirstPort = 8080;
struct ExhaustPair {
  Topology topo;
  std::vector<std::unique_ptr<Server>> servers;
  std::vector<std::pair<std::string, uint16_t>> dests;
};
Result<ExhaustPair> exhaust_pair(int low, int high, int server_ports = 1);

// The median of `v` (0 when empty).
double median(std::vector<double> v);

}  // namespace tw::lab
