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

// A Linux SNAT in front of a server that closes first, timestamps on: what happens to the SYNs.
// The SNAT never runs out: once its ports all hold conntrack entries (closed ones are kept
// nf_conntrack_tcp_timeout_time_wait = 120 s) it evicts a closed one at random for the new
// connection (nf_nat_used_tuple_harder). The new SYN then reaches the backend on a 4-tuple that
// may still be in its TIME_WAIT (60 s); RFC 6191 takes it when its timestamp is newer, and the
// client's clock for that 4-tuple is unrelated to the old connection's (a random offset per
// connection: measured on 6.18; per address pair on 4.11 and later kernels without the ports in
// the hash, then per client address), so PAWS drops about half. The backend's ACK to the
// dropped SYN draws the client's RST, which ends the TIME_WAIT (tcp_rfc1337=0), and the client
// resends the SYN at once (SYN_SENT re-arms its timer to TCP_TIMEOUT_MIN): a retransmission, not
// a failure; a few wait for the 1 s retransmission. With tcp_rfc1337=1 the TIME_WAIT survives
// (and restarts its 60 s): the retries wait seconds, and fail under a short connect timeout.
struct SnatSyns {
  double into_time_wait = 0;  // share of new connections whose 4-tuple is in the TIME_WAIT
  double dropped = 0;         // share whose first SYN PAWS drops (retransmitted)
  double delayed = 0;         // share completing 1 s or more late (~1 in 8 drops; all with rfc1337)
  double failed = 0;          // share failing within the client's own timeout (none measured)
};

// Kept by conntrack after a close (nf_conntrack_tcp_timeout_time_wait default).
inline constexpr double kConntrackTimeWaitSeconds = 120;
// Of the dropped SYNs, those whose retry waited the 1 s RTO (timewait lab run nat-lb: 6 of 47,
// 5 of 35, 10 of 91).
inline constexpr double kDelayedShareOfDropped = 0.125;

// At `rate` new connections/s on one (SNAT address, destination) pool of `ports`, in steady
// state.
SnatSyns snat_syns(double rate, int64_t ports, double time_wait_s, bool rfc1337);
// SYNs PAWS drops in the first `seconds` (<= the TIME_WAIT) from an empty SNAT: every connection
// past the first `ports` reuses a 4-tuple still in TIME_WAIT, and half of those are dropped.
double snat_dropped_from_empty(double rate, int64_t ports, double seconds);

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
  // linux-snat, the server closing first, timestamps on: the SYNs' fate (no pool runs out).
  std::optional<SnatSyns> snat;
  std::vector<std::string> notes;
};

// Bytes per TIME_WAIT socket used for memory (plan/sources.h kSrcMemory).
inline constexpr int64_t kTimeWaitBytes = 256;

// Validates the input first; errors are the input's.
Result<Plan> make_plan(const PlanInput& input);

}  // namespace tw::plan
