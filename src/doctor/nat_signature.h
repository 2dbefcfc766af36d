// SPDX-License-Identifier: Apache-2.0
// Two things a server behind a SNAT load balancer or NAT shows, and every finding that assumes a
// direct path must check: SYNs dropped by PAWS because they hit one of its TIME_WAITs, and few
// peer addresses holding many of its TIME_WAITs. RFC 6191 accepts a SYN into a TIME_WAIT by a
// newer timestamp, but a reused 4-tuple's SYN carries an unrelated clock: offsets are per address
// pair from 4.11 (28ee1b746f49), so clients behind one SNAT address differ, and newer kernels
// hash the ports in again (measured on 6.18: one client through one SNAT address differs too).
// About half those SYNs look older and PAWS drops them (timewait lab run nat-lb).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "doctor/doctor_input.h"

namespace tw {

// A peer holding at least this many of the server's TIME_WAITs, and with the others at least
// kNatPeerShare of them, looks like a NAT or proxy: one client seldom opens that many
// connections that the server closes, a balancer's SNAT does it for all its clients.
inline constexpr int64_t kNatPeerMinTimeWait = 20;
inline constexpr double kNatPeerShare = 0.5;
inline constexpr size_t kNatMaxPeers = 3;

struct NatSignature {
  std::vector<PeerTimeWait> peers;  // the few addresses, most TIME_WAITs first
  int64_t peer_time_wait = 0;       // held by them
  int64_t time_wait = 0;            // on listening ports in all
  double share() const { return time_wait ? double(peer_time_wait) / time_wait : 0; }
  std::string names() const;  // "10.77.2.11, 10.77.2.12"
};

// Few peers (at most kNatMaxPeers, each with kNatPeerMinTimeWait or more) holding kNatPeerShare or
// more of the TIME_WAITs on listening ports; nullopt otherwise.
std::optional<NatSignature> nat_signature(const DoctorInput& in);

// SYNs the kernel dropped by PAWS into a TIME_WAIT: PAWSTimewait where the kernel has it (~6.15),
// else PAWSEstab, which then counts them among established connections' PAWS drops.
struct SynDrops {
  std::string counter;           // "PAWSTimewait" or "PAWSEstab"
  bool exact = true;             // false for PAWSEstab: it counts other drops too
  int64_t total = 0;             // since boot / the namespace was made
  std::optional<int64_t> delta;  // over --interval (or the sampler's last interval)
  double seconds = 0;            // that interval
  // Dropped now: grew over the interval (or, with no second sample, nonzero since boot).
  bool recent() const { return delta ? *delta > 0 : false; }
  double per_second() const { return delta && seconds > 0 ? *delta / seconds : 0; }
};

// The sampler's window for the PAWS counters (DoctorInput::window_counters).
inline constexpr double kCounterWindowSeconds = 30;
inline constexpr const char* kPawsCounters[] = {"PAWSTimewait", "PAWSEstab"};

// Nullopt when the host reports neither counter (another OS, a dump without counters). Over the
// longer of --interval and the sampler's window.
std::optional<SynDrops> syn_drops_into_time_wait(const DoctorInput& in);

}  // namespace tw
