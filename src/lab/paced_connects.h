// SPDX-License-Identifier: Apache-2.0
// Paced short connections for the lab: new connections at a fixed rate, each one connect, one
// request byte, the answer, and the server's close, each bounded by a timeout. Unlike the churn
// generator it classifies what went wrong (refused, reset, timed out) and never waits for a slow
// connection before starting the next: a rate step measures the network, not the generator.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lab/namespace.h"
#include "model/result.h"

namespace tw::lab {

struct PacedConfig {
  std::string addr;
  uint16_t port = 0;
  double rate = 10;       // new connections per second
  double seconds = 2;     // how long new connections are started
  int timeout_ms = 3000;  // per connection: covers one SYN retransmission (initial RTO 1 s)
  int max_in_flight = 2000;
  // Source addresses taken in turn, one per connection (bound with IP_BIND_ADDRESS_NO_PORT, so
  // connect() still picks the port); empty: the kernel's choice.
  std::vector<std::string> sources;
};

struct PacedStats {
  int64_t attempted = 0;
  int64_t ok = 0;         // answered and closed by the server
  int64_t slow = 0;       // of which took longer than 900 ms: a SYN had to be retransmitted
  int64_t refused = 0;    // ECONNREFUSED, or an RST in answer to the SYN
  int64_t reset = 0;      // ECONNRESET after the handshake
  int64_t timed_out = 0;  // no answer within timeout_ms
  int64_t other = 0;      // EADDRNOTAVAIL, ...
  std::string first_error;
  double seconds = 0;      // from the first start to the last start
  double max_ms = 0;       // slowest completed connection
  int64_t delayed_1s = 0;  // completed in 0.9 to 2.5 s: one SYN retransmission (RTO 1 s)
  int64_t failures() const { return refused + reset + timed_out + other; }
  double rate() const { return seconds > 0 ? ok / seconds : 0; }
};

// Runs on a thread inside `client`; returns after every started connection ended.
Result<PacedStats> run_paced_connects(const Netns& client, const PacedConfig& config);

}  // namespace tw::lab
