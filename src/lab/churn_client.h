// SPDX-License-Identifier: Apache-2.0
// The churn traffic generator: short connections (connect, one request, answer, close) to one
// server address:port, as fast as allowed. The epoll client keeps several connections in flight so
// that the kernel, not the generator, sets the pace; the blocking client is the minimal
// connect/write/read/close loop it is compared with.
#pragma once

#include <cstdint>
#include <string>

#include "lab/namespace.h"
#include "model/result.h"

namespace tw::lab {

struct ChurnConfig {
  std::string addr;
  uint16_t port = 0;
  double rate = 0;           // new connections per second; 0 = as fast as possible
  int64_t max_connects = 0;  // stop after this many completed connections (bound)
  double seconds = 1;        // and after this long (bound)
  int concurrency = 16;      // epoll client: connections in flight
  // After an EADDRNOTAVAIL no new connect() is tried for this long, so that the failure count
  // measures the exhaustion's duration rather than how fast a failing syscall spins.
  double backoff_ms = 1;
};

struct ChurnStats {
  int64_t connects = 0;       // completed: connected, answered, closed by the client
  int64_t eaddrnotavail = 0;  // connect() refused: no free local port for this destination
  int64_t other_errors = 0;
  std::string first_other_error;
  double seconds = 0;                   // measured duration
  double first_eaddrnotavail_s = -1;    // when the first EADDRNOTAVAIL came (-1: never)
  int64_t connects_before_failure = 0;  // completed before it
  int64_t started = 0;                  // connect() calls that got a local port
  int64_t started_before_failure = 0;   // of which before the first EADDRNOTAVAIL
  double rate() const { return seconds > 0 ? connects / seconds : 0; }
};

// Both run on a thread inside `client`; sockets are made there.
Result<ChurnStats> run_churn_epoll(const Netns& client, const ChurnConfig& config);
Result<ChurnStats> run_churn_blocking(const Netns& client, const ChurnConfig& config);

}  // namespace tw::lab
