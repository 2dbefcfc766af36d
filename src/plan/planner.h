// SPDX-License-Identifier: Apache-2.0
// The planner's arithmetic: which port pools the traffic draws on (the client's ephemeral range
// per tuple or per source address, a NAT's ports per destination), how long each keeps a closed
// connection's port, and from that the sustainable new-connection rate per tuple and in total,
// the steady-state TIME_WAIT count and its memory, headroom, and time to exhaustion. The rate a
// pool sustains comes from census/forecast, the same number the census and the doctor show.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plan/plan_input.h"

namespace tw::plan {

// One kind of pool on the path: `count` of them, each with `ports` usable ports that a closed
// connection keeps for `hold_s` (0: not held, TIME_WAIT does not limit it).
struct PoolLimit {
  std::string what;    // "client ephemeral ports per (source, destination) tuple"
  std::string source;  // why these numbers (plan/sources.h)
  int64_t ports = 0;
  double hold_s = 0;
  bool reuse = false;                 // tcp_tw_reuse shortens the hold to the reuse delay
  int64_t tuples_per_pool = 1;        // destination tuples sharing one pool (bind-before-connect)
  double rate = 0;                    // new connections per second drawing on one pool
  std::optional<double> sustainable;  // per pool; nullopt when not held
  // Seconds from an empty pool to the first failure at `rate`: ports / rate when the rate
  // exceeds what the pool sustains; nullopt when it never runs out.
  std::optional<double> exhausted_after_s;
};

struct Plan {
  PlanInput input;
  double time_wait_s = 60;
  PortPool pool;
  double connection_rate = 0;  // per destination, after keep-alive
  std::vector<PoolLimit> limits;
  // The tightest pool: the lowest sustainable rate relative to its load (nullopt: none held).
  std::optional<size_t> binding;
  std::optional<double> sustainable_per_tuple;  // new connections/s per (source, destination)
  std::optional<double> sustainable_total;      // over every source address and destination
  double total_rate = 0;                        // new connections/s in total today
  std::optional<double> headroom;               // sustainable_total / total_rate
  // Months until the rate, growing by growth_percent a month, reaches the sustainable rate
  // (0: already past it; nullopt: no growth given or no limit).
  std::optional<double> months_to_exhaustion;
  std::optional<double> exhausted_after_s;  // of the binding pool, when over its rate today

  // TIME_WAIT at steady state, on the side that closes first.
  Closer time_wait_side = Closer::kClient;
  int64_t time_wait_count = 0;
  int64_t time_wait_bytes = 0;
  bool over_max_tw_buckets = false;
  std::vector<std::string> notes;
};

// Bytes per TIME_WAIT socket used for memory (plan/sources.h kSrcMemory).
inline constexpr int64_t kTimeWaitBytes = 256;

// Validates the input first; errors are the input's.
Result<Plan> make_plan(const PlanInput& input);

}  // namespace tw::plan
