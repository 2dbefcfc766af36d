// SPDX-License-Identifier: Apache-2.0
// Scenario `nat-lb`: clients -> load balancer -> backend, each in its own namespace. The balancer
// rewrites every source to its own address(es) and a small port range (nftables SNAT, with
// conntrack), the backend closes first (so holds the TIME_WAIT), and the new-connection rate is
// raised in steps. The naive model says one (balancer address, backend address:port) tuple runs
// out after `ports` connections within a TIME_WAIT (60 s); the kernel does better, because a
// backend accepts a new SYN into a TIME_WAIT when its sequence number or timestamp is newer, and
// conntrack lets such a SYN take over its closing entry.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lab/paced_connects.h"
#include "lab/scenario.h"

namespace tw::lab {

inline constexpr uint16_t kNatLbBackendPort = 8080;

struct NatLbSetup {
  int addresses = 1;                        // SNAT source addresses on the balancer
  int port_low = 40000, port_high = 40063;  // the balancer's SNAT port range
  bool client_timestamps = true;
  std::vector<double> rates = {8, 16, 32, 64, 128};  // connections per second, one step each
  double step_seconds = 2;
  // Each step in fresh namespaces (steps independent: the model for a step is simple) or all
  // steps in one set (a ramp: TIME_WAIT and conntrack entries of earlier steps remain).
  bool fresh_per_step = true;
  bool stop_after_failure = true;  // skip the remaining steps after the first failing one
  // Client source addresses, taken in turn per connection: 10.77.1.1, then 10.77.1.11, .12, ...
  // Each address pair has its own timestamp offset (Linux 4.11), so several clients behind one
  // SNAT address reach the backend with unrelated clocks, as real clients do.
  int clients = 1;
  // The clients connect to the balancer's address 10.77.1.2:80, which it DNATs to the backend
  // (an L4 balancer); false: they connect to the backend's address and the balancer only routes.
  bool dnat = false;
  bool backend_rfc1337 = false;  // the backend's tcp_rfc1337 (a TIME_WAIT survives an RST)
  // A connection not done by then failed. 3 s covers one SYN retransmission (RTO 1 s); a
  // client's own connect() waits much longer (tcp_syn_retries 6: ~127 s).
  int connect_timeout_ms = 3000;
};

// Of the backend's TIME_WAITs, those toward one peer address (the balancer's SNAT addresses).
struct PeerTimeWaitCount {
  std::string peer;
  int64_t time_wait = 0;
};

struct NatLbStep {
  double rate = 0;
  PacedStats stats;
  int64_t syn_retransmits = 0;    // TcpExt TCPSynRetrans of the client namespace
  int64_t backend_time_wait = 0;  // census of the backend at the end of the step
  int64_t backend_paws =
      0;                  // TcpExt PAWSTimewait (+ PAWSEstab) of the backend: SYNs refused by PAWS
  int64_t conntrack = 0;  // nf_conntrack_count of the balancer at the end of the step
  int64_t backend_paws_timewait = 0;  // of backend_paws: PAWSTimewait alone (kernels ~6.15+)
  std::vector<PeerTimeWaitCount> backend_time_wait_by_peer;  // most first
  // A failure as the naive model counts it: any SYN retransmission or failed connection.
  int64_t failures() const { return stats.failures() + syn_retransmits; }
  // Connections that completed, late by a SYN retransmission (> 0.9 s).
  int64_t delayed() const { return stats.slow; }
};

struct NatLbRun {
  NatLbSetup setup;
  std::vector<NatLbStep> steps;
  int64_t pool() const;  // addresses x ports
  // Naive model: a step of `seconds` (< 60 s) fails once rate x seconds exceeds the pool, and
  // the sustained rate is pool / 60 s.
  double naive_step_limit() const;
  double naive_sustained() const;
  double highest_clean_rate() const;  // 0 when even the first step failed
  double first_failing_rate() const;  // 0 when no step failed
};

// The scenario's namespaces, built once: a live test drives its own traffic and runs the tools
// against the backend (backend().name() is an `ip netns` name) while they stand.
class NatLbLab {
 public:
  static Result<std::unique_ptr<NatLbLab>> build(const NatLbSetup& setup);
  ~NatLbLab();
  const Netns& client() const;
  const Netns& balancer() const;
  const Netns& backend() const;
  // Paced connections of `rate` per second for `seconds` from the clients to the service.
  PacedConfig traffic(double rate, double seconds) const;
  // One step of setup.step_seconds at `rate`, with the counters and censuses around it.
  Result<NatLbStep> step(double rate);

 private:
  struct Parts;
  explicit NatLbLab(const NatLbSetup& setup);
  NatLbSetup setup_;
  std::unique_ptr<Parts> parts_;
};

Result<NatLbRun> measure_nat_lb(const NatLbSetup& setup);

Result<ScenarioResult> run_nat_lb(const LabOptions& options);

}  // namespace tw::lab
