// SPDX-License-Identifier: Apache-2.0
#include "plan/planner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "census/forecast.h"
#include "plan/sources.h"

namespace tw::plan {

namespace {

// The rate a pool of `ports` sustains when a closed connection keeps its port `hold_s`, or the
// reuse delay with tcp_tw_reuse: the census forecast's number, so `plan` and `census` agree.
std::optional<double> sustained_by(int64_t ports, double hold_s, bool reuse, const PlanInput& in) {
  if (hold_s <= 0) return std::nullopt;
  TuplePressure t;
  t.available = ports;
  ForecastPolicy policy;
  policy.time_wait_seconds = static_cast<int>(std::llround(hold_s));
  policy.tw_reuse = reuse ? 1 : 0;
  policy.timestamps = in.timestamps;
  policy.reuse_delay_s = in.reuse_delay_s;
  return forecast(t, policy).sustainable;
}

// tcp_tw_reuse=1 helps the client's own connect() only: Linux, timestamps on, the client closes.
bool client_reuse(const PlanInput& in) {
  return in.platform == Platform::kLinux && in.tw_reuse == 1 && in.timestamps &&
         in.who_closes == Closer::kClient && !in.bind_before_connect;
}

PoolLimit client_limit(const PlanInput& in, const Plan& p) {
  PoolLimit l;
  l.ports = p.pool.usable();
  l.reuse = client_reuse(in);
  if (in.who_closes == Closer::kServer) {
    l.what = "client ephemeral ports per (source, destination) tuple";
    l.source = kSrcServerCloses;
    l.hold_s = 0;
  } else if (in.bind_before_connect) {
    l.what = "client ephemeral ports per source address (bind before connect)";
    l.source = kSrcBindNoPort;
    l.hold_s = p.time_wait_s;
    l.tuples_per_pool = in.destinations();
  } else {
    l.what = "client ephemeral ports per (source, destination) tuple";
    l.source = l.reuse ? kSrcTwReuse : kSrcTuple;
    l.hold_s = p.time_wait_s;
  }
  return l;
}

// The NAT's pool toward one destination, or nullopt without a NAT.
std::optional<PoolLimit> nat_limit(const PlanInput& in, const Plan& p) {
  PoolLimit l;
  // Unless the NAT documents its own timeout, a closed connection keeps its NAT port as long as
  // its TIME_WAIT lasts.
  double hold = p.time_wait_s;
  bool hold_assumed = false;
  switch (in.nat) {
    case NatKind::kNone:
      return std::nullopt;
    case NatKind::kLinuxSnat:
      l.what = "Linux SNAT ports per (NAT address, destination)";
      l.source = kSrcLinuxSnat;
      l.ports = in.nat_ports.value_or(p.pool.usable());
      // The SNAT does not run out: it evicts a closed conntrack entry for a new connection.
      // What a reused port costs is the backend's SYN drops (Plan::snat), not a failed connect.
      hold = 0;
      break;
    case NatKind::kAws:
      l.what = "AWS NAT gateway connections per (NAT address, destination)";
      l.source = kSrcAws;
      l.ports = 55000;
      hold_assumed = true;
      break;
    case NatKind::kAzure:
      // 64,512 SNAT ports per IP, of which at most 50,000 toward one destination.
      l.what = "Azure NAT gateway connections per (public IP, destination)";
      l.source = kSrcAzure;
      l.ports = std::min<int64_t>(64512, 50000);
      hold_assumed = true;
      break;
    case NatKind::kGcp:
      l.what = "GCP Cloud NAT ports per VM toward one destination";
      l.source = kSrcGcp;
      l.ports = in.nat_ports.value_or(64);
      hold = 120;
      break;
  }
  if (in.nat_hold_s) {
    hold = *in.nat_hold_s;
  } else if (hold_assumed) {
    l.source += std::string("; ") + kSrcNatHoldAssumed;
  }
  l.hold_s = hold;
  return l;
}

}  // namespace

SnatSyns snat_syns(double rate, int64_t ports, double time_wait_s, bool rfc1337) {
  SnatSyns s;
  if (rate <= 0 || ports <= 0) return s;
  // Below ports / 120 s conntrack still has ports nobody used for two minutes: no TIME_WAIT is
  // met. Above it every new connection evicts a random closed entry, whose last use is about
  // exponentially distributed with mean ports / rate.
  if (rate * kConntrackTimeWaitSeconds >= double(ports))
    s.into_time_wait = 1 - std::exp(-time_wait_s * rate / double(ports));
  s.dropped = s.into_time_wait / 2;
  // With tcp_rfc1337=1 the TIME_WAIT outlives the RST: each dropped SYN waits for the 1, 3, 7 s
  // retransmissions, which conntrack may move to another SNAT port (measured: 3 of 128 not done
  // within 8 s, 39 of 160 within 3 s): delayed, failing only under a short connect timeout.
  s.delayed = rfc1337 ? s.dropped : s.dropped * kDelayedShareOfDropped;
  return s;
}

double snat_dropped_from_empty(double rate, int64_t ports, double seconds) {
  return std::max(0.0, rate * seconds - double(ports)) / 2;
}

Result<Plan> make_plan(const PlanInput& in) {
  if (auto st = validate(in); !st) return fail(st.error());
  Plan p;
  p.input = in;
  p.time_wait_s = in.effective_time_wait();
  p.pool = in.effective_pool();
  p.connection_rate = in.rate;
  p.total_rate = in.rate * double(in.destinations());
  const double client_tuples = double(in.source_addrs) * in.destinations();

  // How many pools of each kind share the traffic, evenly.
  PoolLimit client = client_limit(in, p);
  const double client_pools = in.bind_before_connect ? in.source_addrs : client_tuples;
  std::vector<std::pair<PoolLimit, double>> kinds = {{client, client_pools}};
  if (auto nat = nat_limit(in, p)) {
    // Cloud NAT counts ports per VM, whatever its addresses.
    const double pools = in.nat == NatKind::kGcp ? double(in.destinations())
                                                 : double(in.nat_addrs) * in.destinations();
    kinds.push_back({*nat, pools});
  }
  std::optional<double> best_total;
  for (auto& [l, pools] : kinds) {
    l.rate = p.total_rate / pools;
    l.sustainable = sustained_by(l.ports, l.hold_s, l.reuse, in);
    if (l.sustainable && l.rate > *l.sustainable) l.exhausted_after_s = l.ports / l.rate;
    if (l.sustainable && (!best_total || *l.sustainable * pools < *best_total)) {
      best_total = *l.sustainable * pools;
      p.binding = p.limits.size();
    }
    p.limits.push_back(l);
  }
  p.sustainable_total = best_total;
  if (best_total) {
    p.sustainable_per_tuple = *best_total / client_tuples;
    p.headroom = *best_total / p.total_rate;
    p.exhausted_after_s = p.limits[*p.binding].exhausted_after_s;
    if (*p.headroom <= 1)
      p.months_to_exhaustion = 0;
    else if (in.growth_percent > 0)
      p.months_to_exhaustion = std::log(*p.headroom) / std::log1p(in.growth_percent / 100);
  }

  // TIME_WAIT at steady state sits with the active closer.
  p.time_wait_side = in.who_closes;
  client = kinds[0].first;  // with its rate
  double count = 0;
  if (in.who_closes == Closer::kClient) {
    // A client pool cannot hold more TIME_WAITs than it has ports.
    count = std::min(client.rate * p.time_wait_s, double(client.ports)) * client_pools;
  } else {
    // The server sees at most one TIME_WAIT per distinct 4-tuple: the sources it sees (the NAT's
    // addresses behind a NAT) times their ports, per destination.
    const bool nat = kinds.size() > 1;
    const double tuples =
        (nat ? double(kinds[1].first.ports) * (in.nat == NatKind::kGcp ? 1 : in.nat_addrs)
             : double(client.ports) * in.source_addrs) *
        double(in.destinations());
    count = std::min(p.total_rate * p.time_wait_s, tuples);
  }
  p.time_wait_count = std::llround(count);
  if (in.max_tw_buckets && p.time_wait_count > *in.max_tw_buckets) {
    p.over_max_tw_buckets = true;
    p.time_wait_count = *in.max_tw_buckets;
    p.notes.push_back(fmt::format("the steady state passes tcp_max_tw_buckets ({}): {}",
                                  *in.max_tw_buckets, kSrcMaxTwBuckets));
  }
  p.time_wait_bytes = p.time_wait_count * kTimeWaitBytes;
  if (in.nat == NatKind::kLinuxSnat && in.who_closes == Closer::kServer && in.timestamps &&
      in.platform == Platform::kLinux) {
    const PoolLimit& nat = p.limits[1];
    p.snat = snat_syns(nat.rate, nat.ports, p.time_wait_s, in.rfc1337);
  }
  if (in.platform == Platform::kLinux && in.tw_reuse == 1 && !in.timestamps)
    p.notes.push_back("tcp_tw_reuse=1 does nothing with timestamps off");
  if (in.platform == Platform::kLinux && in.tw_reuse == 1 && in.who_closes == Closer::kServer)
    p.notes.push_back(
        "tcp_tw_reuse affects only outgoing connect(): it cannot shorten the server's TIME_WAIT");
  if (in.platform != Platform::kLinux && in.tw_reuse == 1)
    p.notes.push_back("tcp_tw_reuse is a Linux setting: ignored for this platform");
  if (in.bind_before_connect && in.tw_reuse == 1)
    p.notes.push_back(
        "with bind() before connect() the port is chosen by bind(), where tcp_tw_reuse does not "
        "apply; the planner does not count on it");
  return p;
}

}  // namespace tw::plan
