// SPDX-License-Identifier: Apache-2.0
#include "doctor/nat_signature.h"

namespace tw {

std::string NatSignature::names() const {
  std::string out;
  for (const PeerTimeWait& p : peers) out += (out.empty() ? "" : ", ") + p.peer.to_string();
  return out;
}

std::optional<NatSignature> nat_signature(const DoctorInput& in) {
  NatSignature s;
  s.time_wait = in.server_time_wait_total;
  for (const PeerTimeWait& p : in.server_time_wait_peers) {
    if (s.peers.size() == kNatMaxPeers || p.time_wait < kNatPeerMinTimeWait) break;
    s.peers.push_back(p);
    s.peer_time_wait += p.time_wait;
  }
  if (s.peers.empty() || s.share() < kNatPeerShare) return std::nullopt;
  return s;
}

std::optional<SynDrops> syn_drops_into_time_wait(const DoctorInput& in) {
  for (const char* name : {"PAWSTimewait", "PAWSEstab"}) {
    auto total = in.counter(name);
    if (!total) continue;
    SynDrops d;
    d.counter = name;
    d.exact = d.counter == "PAWSTimewait";
    d.total = *total;
    d.delta = in.counter_delta(name);
    d.seconds = in.interval_seconds;
    if (auto w = in.window_counters.find(name);
        w != in.window_counters.end() && in.window_seconds > d.seconds) {
      d.delta = *total - w->second;
      d.seconds = in.window_seconds;
    }
    return d;
  }
  return std::nullopt;
}

}  // namespace tw
