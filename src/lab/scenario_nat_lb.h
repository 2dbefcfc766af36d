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
#include <vector>

#include "lab/paced_connects.h"
#include "lab/scenario.h"

namespace tw::lab {

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
};

struct NatLbStep {
  double rate = 0;
  PacedStats stats;
  int64_t syn_retransmits = 0;    // TcpExt TCPSynRetrans of the client namespace
  int64_t backend_time_wait = 0;  // census of the backend at the end of the step
  int64_t backend_paws =
      0;                  // TcpExt PAWSTimewait (+ PAWSEstab) of the backend: SYNs refused by PAWS
  int64_t conntrack = 0;  // nf_conntrack_count of the balancer at the end of the step
  int64_t failures() const { return stats.failures() + syn_retransmits; }
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

Result<NatLbRun> measure_nat_lb(const NatLbSetup& setup);

Result<ScenarioResult> run_nat_lb(const LabOptions& options);

}  // namespace tw::lab
