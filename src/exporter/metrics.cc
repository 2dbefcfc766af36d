// SPDX-License-Identifier: Apache-2.0
#include "exporter/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "census/port_pool.h"
#include "doctor/nat_signature.h"

namespace tw {

namespace {

struct FamilyDef {
  const char* name;
  MetricType type;
  const char* help;
};

constexpr MetricType G = MetricType::kGauge;
constexpr MetricType C = MetricType::kCounter;

// Every family, in the order served. The HELP text says where the number comes from.
constexpr FamilyDef kFamilies[] = {
    {"timewait_build_info", G,
     "1, labelled with the exporter's version, commit, branch and compiler (join on it by "
     "instance)."},
    {"timewait_up", G,
     "1 when the namespace was read in the last census, 0 when it failed. Every series of a "
     "namespace carries netns (host, its /run/netns name, or netns:<inode>: none of which a "
     "process restart changes) and, for a pod's namespace, namespace and pod."},
    {"timewait_netns_info", G,
     "A namespace the exporter reads: its nsfs inode, the command of its lowest pid and, for a "
     "pod's namespace, the pod's uid."},
    {"timewait_census_source_info", G,
     "1, labelled with where the namespace's sockets came from: bpf:all-netns (the one walk of "
     "the shared table, --all-netns), else its own read (netlink, proc, bpf)."},
    {"timewait_sockets", G,
     "TCP sockets by state and address family (inet_diag; orphaned FIN_WAIT2 mini-sockets are "
     "included in fin_wait2)."},
    {"timewait_fin_wait2_mini_sockets", G,
     "Orphaned FIN_WAIT2 sockets the kernel holds as TIME_WAIT mini-sockets (counted by sockstat "
     "tw, missed by `ss state time-wait`)."},
    {"timewait_sockstat_tcp_inuse", G, "/proc/net/sockstat TCP inuse (IPv4, this namespace)."},
    {"timewait_sockstat_tcp6_inuse", G, "/proc/net/sockstat6 TCP6 inuse (this namespace)."},
    {"timewait_sockstat_tcp_orphan", G,
     "/proc/net/sockstat TCP orphan: global to the host, so served once, without netns."},
    {"timewait_sockstat_tcp_tw", G,
     "/proc/net/sockstat TCP tw: TIME_WAIT and FIN_WAIT2 mini-sockets of this namespace."},
    {"timewait_tcpext_tw_total", C,
     "TcpExt TW: TIME_WAITs made (timer armed), since the namespace was made."},
    {"timewait_tcpext_tw_killed_total", C,
     "TcpExt TWKilled: TIME_WAITs made with a timeout under 4 s."},
    {"timewait_tcpext_tw_recycled_total", C,
     "TcpExt TWRecycled: TIME_WAIT ports taken back by tcp_tw_reuse (despite its name)."},
    {"timewait_tcpext_paws_active_total", C, "TcpExt PAWSActive: SYN-ACKs rejected by PAWS."},
    {"timewait_tcpext_paws_estab_total", C,
     "TcpExt PAWSEstab: packets of established connections rejected by PAWS."},
    {"timewait_tcpext_paws_timewait_total", C,
     "TcpExt PAWSTimewait: SYNs hitting a TIME_WAIT rejected by PAWS (kernels from ~6.15)."},
    {"timewait_tcpext_time_wait_overflow_total", C,
     "TcpExt TCPTimeWaitOverflow: closing sockets refused a TIME_WAIT (tcp_max_tw_buckets "
     "reached)."},
    {"timewait_listening_time_wait_sockets", G,
     "TIME_WAIT sockets on listening ports: this server closed first (the doctor's census)."},
    {"timewait_nat_peer_time_wait_sockets", G,
     "Of them, those held toward a peer address that holds many of them: the signature of a NAT, "
     "SNAT load balancer or proxy in front (at most 3 peers; absent without it)."},
    {"timewait_time_wait_created_per_second_10s", G,
     "TIME_WAITs made per second over the last 10 s, from the TIME_WAIT timers (60 s on Linux)."},
    {"timewait_time_wait_created_per_second_60s", G,
     "TIME_WAITs made per second over the last 60 s, from the TIME_WAIT timers."},
    {"timewait_ephemeral_port_range_low", G, "ip_local_port_range: lowest ephemeral port."},
    {"timewait_ephemeral_port_range_high", G, "ip_local_port_range: highest ephemeral port."},
    {"timewait_ephemeral_ports_reserved", G,
     "Ports of ip_local_port_range that ip_local_reserved_ports takes out."},
    {"timewait_ephemeral_ports_usable", G,
     "Ephemeral ports connect() can use toward one destination tuple (range minus reserved)."},
    {"timewait_tcp_tw_reuse", G, "net.ipv4.tcp_tw_reuse (0 off, 1 on, 2 loopback only)."},
    {"timewait_tcp_timestamps", G, "net.ipv4.tcp_timestamps (tcp_tw_reuse needs them)."},
    {"timewait_tcp_max_tw_buckets", G,
     "net.ipv4.tcp_max_tw_buckets: TIME_WAITs the namespace holds before refusing more."},
    {"timewait_tcp_tw_recycle", G,
     "net.ipv4.tcp_tw_recycle, only on kernels before 4.12 that still have it: 1 breaks clients "
     "behind NAT."},
    {"timewait_conntrack_entries", G, "net.netfilter.nf_conntrack_count."},
    {"timewait_conntrack_entries_limit", G,
     "net.netfilter.nf_conntrack_max: global to the host (read-only in other namespaces), so "
     "served once, without netns."},
    {"timewait_tuples", G,
     "Destination tuples (local address, remote address, remote port) holding ephemeral ports."},
    {"timewait_tuple_worst_port_use_ratio", G,
     "The highest share of the usable ports one tuple holds (0 to 1), over every tuple."},
    {"timewait_tuples_over_warning_port_use", G,
     "Tuples holding at least half of their usable ports (the warning level), over every tuple."},
    {"timewait_tuples_over_critical_port_use", G,
     "Tuples holding at least 90 % of their usable ports (the critical level), over every tuple; "
     "also counted in timewait_tuples_over_warning_port_use."},
    {"timewait_tuple_ports_in_use", G,
     "Ephemeral ports a tuple holds, any state (the worst --top-tuples tuples)."},
    {"timewait_tuple_time_wait_sockets", G, "Of a tuple's ports, those held by TIME_WAIT."},
    {"timewait_tuple_ports_usable", G, "Usable ports toward the tuple (the pool)."},
    {"timewait_tuple_ports_free", G, "Ports connect() can take toward the tuple now."},
    {"timewait_tuple_time_wait_created_per_second_10s", G,
     "TIME_WAITs the tuple made per second over the last 10 s, from its timers."},
    {"timewait_tuple_time_wait_created_per_second_60s", G,
     "TIME_WAITs the tuple made per second over the last 60 s, from its timers."},
    {"timewait_tuple_exhaustion_eta_seconds", G,
     "Seconds until the tuple has no free port at its last 10 s rate (0: exhausted now); absent "
     "while the pool lasts."},
    {"timewait_port_pool_worst_level", G,
     "The worst forecast level over every pool of a kind (pool=tuple: connect() toward one "
     "destination; pool=bind: bind() on one local address): 0 ok, 1 warning, 2 critical."},
    {"timewait_port_pools_exhausted", G,
     "Pools of a kind with no free port now, or saturated (nearly every port held and recycled at "
     "the sustainable rate): connect() or bind() fails now."},
    {"timewait_port_pool_min_exhaustion_eta_seconds", G,
     "The soonest exhaustion over every pool of a kind at its last rate; absent while all last."},
    {"timewait_tuple_level", G,
     "A tuple's forecast level (0 ok, 1 warning, 2 critical; the worst --top-tuples tuples)."},
    {"timewait_bind_pool_ports_in_use", G,
     "Ports held on a local address that bind() before connect() draws from (every destination "
     "and bound-only sockets together)."},
    {"timewait_bind_pool_ports_usable", G, "Ports bind() can use on the address (the pool)."},
    {"timewait_bind_pool_ports_free", G, "Ports bind() can take on the address now."},
    {"timewait_bind_pool_bound_only_sockets", G,
     "Of the address's ports, those held by sockets bound but neither listening nor connected."},
    {"timewait_bind_pool_time_wait_created_per_second_10s", G,
     "TIME_WAITs the address's bound sockets made per second over the last 10 s, from their "
     "timers."},
    {"timewait_bind_pool_time_wait_created_per_second_60s", G,
     "TIME_WAITs the address's bound sockets made per second over the last 60 s, from their "
     "timers."},
    {"timewait_bind_pool_exhaustion_eta_seconds", G,
     "Seconds until the address has no free port at its last rate (0: exhausted now); absent "
     "while the pool lasts."},
    {"timewait_bind_pool_level", G,
     "The bind pool's forecast level (0 ok, 1 warning, 2 critical)."},
    {"timewait_bound_only_sockets", G,
     "Sockets bound to an ephemeral port but neither listening nor connected (inet_diag "
     "TCP_BOUND_INACTIVE, Linux 6.8)."},
    {"timewait_bound_only_visible", G,
     "1 when the source shows bound-only sockets, 0 when it cannot (older kernel, /proc, bpf)."},
    {"timewait_census_duration_seconds", G, "How long the last census of the namespace took."},
    {"timewait_census_age_seconds", G, "Age of the shared census this scrape served."},
    {"timewait_censuses_total", C, "Censuses taken (one per --min-interval, shared by scrapes)."},
    {"timewait_scrape_errors_total", C,
     "Namespace reads that failed (namespace gone, permission), over the exporter's life."},
    {"timewait_scrape_duration_seconds", G,
     "This scrape's time: waiting for the shared census and rendering."},
};

struct CounterDef {
  const char* family;
  const char* counter;  // HostFacts::counters key
};
constexpr CounterDef kCounters[] = {
    {"timewait_tcpext_tw_total", "TW"},
    {"timewait_tcpext_tw_killed_total", "TWKilled"},
    {"timewait_tcpext_tw_recycled_total", "TWRecycled"},
    {"timewait_tcpext_paws_active_total", "PAWSActive"},
    {"timewait_tcpext_paws_estab_total", "PAWSEstab"},
    {"timewait_tcpext_paws_timewait_total", "PAWSTimewait"},
    {"timewait_tcpext_time_wait_overflow_total", "TCPTimeWaitOverflow"},
};

struct SysctlDef {
  const char* family;
  const char* sysctl;
};
constexpr SysctlDef kSysctls[] = {
    {"timewait_tcp_tw_reuse", "net.ipv4.tcp_tw_reuse"},
    {"timewait_tcp_timestamps", "net.ipv4.tcp_timestamps"},
    {"timewait_tcp_max_tw_buckets", "net.ipv4.tcp_max_tw_buckets"},
    {"timewait_tcp_tw_recycle", "net.ipv4.tcp_tw_recycle"},
    {"timewait_conntrack_entries", "net.netfilter.nf_conntrack_count"},
};

int level_value(const Forecast& f) {
  const Severity l = f.level();
  return l == Severity::kCritical ? 2 : l == Severity::kWarning ? 1 : 0;
}

// The worst level, the exhausted count and the soonest ETA over a kind of pool.
template <class Rows>
void pool_summary(const Rows& rows, const Labels& l, Exposition& e) {
  int worst = 0;
  int64_t exhausted = 0;
  std::optional<double> eta;
  for (const auto& r : rows) {
    worst = std::max(worst, level_value(r.forecast));
    exhausted += r.forecast.state == PoolState::kExhausted;
    if (r.forecast.eta_s) eta = std::min(eta.value_or(*r.forecast.eta_s), *r.forecast.eta_s);
  }
  e.add("timewait_port_pool_worst_level", l, worst);
  e.add("timewait_port_pools_exhausted", l, exhausted);
  if (eta) e.add("timewait_port_pool_min_exhaustion_eta_seconds", l, *eta);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void render_sample(const Sample& s, const NetnsRef* ref, const NetnsLabels* names,
                   const MetricsOptions& o, Exposition& e) {
  Labels base{{"netns", names ? names->netns : s.target.label()}};
  // Absent rather than empty where no pod is known, on every series alike.
  if (names && !names->pod.empty())
    base.insert(base.end(), {{"namespace", names->namespace_name}, {"pod", names->pod}});
  auto with = [&](std::initializer_list<Label> more) {
    Labels l = base;
    l.insert(l.end(), more);
    return l;
  };
  e.add("timewait_up", base, s.ok() ? 1 : 0);
  if (ref) {
    Labels l = with({{"inode", fmt::format("{}", ref->inode)}, {"comm", ref->comm}});
    if (names && !names->uid.empty()) l.push_back({"uid", names->uid});
    e.add("timewait_netns_info", l, 1);
  }
  e.add("timewait_census_duration_seconds", base, s.duration_s);
  if (!s.ok()) return;
  if (!s.facts.source.empty())
    e.add("timewait_census_source_info", with({{"source", s.facts.source}}), 1);

  for (int i = 0; i < kStateCount; ++i) {
    const std::string state = state_label(state_at(i));
    e.add("timewait_sockets", with({{"family", "ipv4"}, {"state", state}}), s.families.v4[i]);
    e.add("timewait_sockets", with({{"family", "ipv6"}, {"state", state}}), s.families.v6[i]);
  }
  e.add("timewait_fin_wait2_mini_sockets", with({{"family", "ipv4"}}),
        s.families.fin_wait2_mini_v4);
  e.add("timewait_fin_wait2_mini_sockets", with({{"family", "ipv6"}}),
        s.families.fin_wait2_mini_v6);

  if (const auto& ss = s.facts.sockstat) {
    e.add("timewait_sockstat_tcp_inuse", base, ss->inuse);
    e.add("timewait_sockstat_tcp6_inuse", base, ss->inuse6);
    e.add("timewait_sockstat_tcp_tw", base, ss->tw);
  }
  for (const auto& c : kCounters) {
    auto it = s.facts.counters.find(c.counter);
    if (it != s.facts.counters.end()) e.add(c.family, base, it->second);
  }
  if (s.input.by_local_port) {
    e.add("timewait_listening_time_wait_sockets", base, s.input.server_time_wait_total);
    if (auto nat = nat_signature(s.input))
      for (const PeerTimeWait& p : nat->peers)
        e.add("timewait_nat_peer_time_wait_sockets", with({{"peer_address", p.peer.to_string()}}),
              p.time_wait);
  }
  e.add("timewait_time_wait_created_per_second_10s", base, s.time_wait_rate(10));
  e.add("timewait_time_wait_created_per_second_60s", base, s.time_wait_rate(60));

  if (s.pool) {
    const PortPool& p = *s.pool;
    e.add("timewait_ephemeral_port_range_low", base, p.low);
    e.add("timewait_ephemeral_port_range_high", base, p.high);
    e.add("timewait_ephemeral_ports_reserved", base, int{p.high} - p.low + 1 - p.usable());
    e.add("timewait_ephemeral_ports_usable", base, p.usable());
  }
  for (const auto& d : kSysctls)
    if (auto v = s.facts.sysctl_int(d.sysctl)) e.add(d.family, base, *v);

  // Aggregates over every tuple, then series for the worst few (s.tuples is worst first).
  double worst = 0;
  int64_t over50 = 0, over90 = 0;
  for (const auto& t : s.tuples) {
    const double r = t.forecast.percent / 100;
    worst = std::max(worst, r);
    over50 += t.forecast.percent >= kPressureWarnPercent;
    over90 += t.forecast.percent >= kPressureCriticalPercent;
  }
  e.add("timewait_tuples", base, static_cast<double>(s.tuples.size()));
  e.add("timewait_tuple_worst_port_use_ratio", base, worst);
  e.add("timewait_tuples_over_warning_port_use", base, over50);
  e.add("timewait_tuples_over_critical_port_use", base, over90);
  const size_t n = std::min(o.top_tuples, s.tuples.size());
  for (size_t i = 0; i < n; ++i) {
    const TuplePressure& t = s.tuples[i].tuple;
    const Forecast& f = s.tuples[i].forecast;
    const Labels l = with({{"local_address", t.key.local.addr.to_string()},
                           {"remote_address", t.key.remote.addr.to_string()},
                           {"remote_port", fmt::format("{}", t.key.remote.port)}});
    e.add("timewait_tuple_ports_in_use", l, f.in_use);
    e.add("timewait_tuple_time_wait_sockets", l, f.time_wait);
    e.add("timewait_tuple_ports_usable", l, f.available);
    e.add("timewait_tuple_ports_free", l, f.free_ports);
    if (f.rate_10s) e.add("timewait_tuple_time_wait_created_per_second_10s", l, *f.rate_10s);
    e.add("timewait_tuple_time_wait_created_per_second_60s", l, f.rate_60s);
    if (f.eta_s) e.add("timewait_tuple_exhaustion_eta_seconds", l, *f.eta_s);
    e.add("timewait_tuple_level", l, level_value(f));
  }
  // Every pool, worst level first: the alerts read these, so an exhausted pool is critical at
  // once, whichever kind it is.
  pool_summary(s.tuples, with({{"pool", "tuple"}}), e);
  pool_summary(s.bind_pools, with({{"pool", "bind"}}), e);
  for (size_t i = 0; i < s.bind_pools.size() && i < o.top_tuples; ++i) {
    const SourcePool& p = s.bind_pools[i].pool;
    const Forecast& f = s.bind_pools[i].forecast;
    const Labels l = with({{"local_address", p.local.to_string()}});
    e.add("timewait_bind_pool_ports_in_use", l, f.in_use);
    e.add("timewait_bind_pool_ports_usable", l, f.available);
    e.add("timewait_bind_pool_ports_free", l, f.free_ports);
    e.add("timewait_bind_pool_bound_only_sockets", l, p.bound_only);
    if (f.rate_10s) e.add("timewait_bind_pool_time_wait_created_per_second_10s", l, *f.rate_10s);
    e.add("timewait_bind_pool_time_wait_created_per_second_60s", l, f.rate_60s);
    if (f.eta_s) e.add("timewait_bind_pool_exhaustion_eta_seconds", l, *f.eta_s);
    e.add("timewait_bind_pool_level", l, level_value(f));
  }
  if (s.pool && s.input.sockets) {
    const BoundVisibility seen = bound_only_visibility(s.facts, s.input.sockets->bound_only());
    e.add("timewait_bound_only_sockets", base, s.input.sockets->bound_only());
    if (seen.visible) e.add("timewait_bound_only_visible", base, *seen.visible ? 1 : 0);
  }
}

// Values global to the host read the same from every namespace: served once, without netns (a
// sum over namespaces would count them again), from the first namespace that has them.
void render_host_wide(const SampleSet& set, Exposition& e) {
  bool orphans = false, conntrack_max = false;
  for (const auto& s : set.samples) {
    if (!s->ok()) continue;
    if (!orphans && s->facts.sockstat) {
      e.add("timewait_sockstat_tcp_orphan", {}, s->facts.sockstat->orphan);
      orphans = true;
    }
    if (auto v = s->facts.sysctl_int("net.netfilter.nf_conntrack_max"); v && !conntrack_max) {
      e.add("timewait_conntrack_entries_limit", {}, *v);
      conntrack_max = true;
    }
  }
}

}  // namespace

std::string state_label(TcpState s) {
  std::string out(netstat_name(s));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> metric_family_names() {
  std::vector<std::string> out;
  for (const auto& f : kFamilies) out.push_back(f.name);
  for (auto& n : process_family_names()) out.push_back(std::move(n));
  return out;
}

void render_metrics(const SampleSet& set, const MetricsOptions& options, const ScrapeContext& ctx,
                    Exposition& out) {
  for (const auto& f : kFamilies) out.family(f.name, f.type, f.help);
  const BuildLabels& b = options.build;
  out.add("timewait_build_info",
          {{"version", b.version},
           {"revision", b.revision},
           {"branch", b.branch},
           {"compiler", b.compiler}},
          1);
  render_host_wide(set, out);
  for (size_t i = 0; i < set.samples.size(); ++i) {
    const NetnsRef* ref = i < ctx.netns.size() ? &ctx.netns[i] : nullptr;
    const NetnsLabels* names = i < ctx.labels.size() ? &ctx.labels[i] : nullptr;
    render_sample(*set.samples[i], ref, names, options, out);
  }
  out.add("timewait_census_age_seconds", {}, std::max(0.0, seconds_since(set.taken)));
  out.add("timewait_censuses_total", {}, ctx.censuses_total);
  out.add("timewait_scrape_errors_total", {}, ctx.errors_total);
  if (ctx.process) render_process_stats(*ctx.process, out);
  out.add("timewait_scrape_duration_seconds", {}, seconds_since(ctx.started));
}

std::string render_metrics(const SampleSet& set, const MetricsOptions& options,
                           const ScrapeContext& ctx) {
  Exposition e;
  render_metrics(set, options, ctx, e);
  return e.text();
}

}  // namespace tw
