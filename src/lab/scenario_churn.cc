// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_churn.h"

#include <fmt/format.h>

#include "lab/counters.h"
#include "lab/server.h"
#include "lab/stop.h"
#include "lab/topology.h"
#include "model/format.h"

namespace tw::lab {

namespace {

constexpr uint16_t kServerPort = 8080;

std::string per_second(double v) { return fmt::format("{:.1f}/s", v); }

}  // namespace

Result<ChurnVariant> measure_churn(const ChurnSetup& setup) {
  ChurnVariant v;
  v.setup = setup;
  v.ports = setup.port_high - setup.port_low + 1;
  auto topo = Topology::client_server();
  if (!topo) return fail(topo.error());
  const Netns& c = topo->client();
  const Netns& s = topo->server();
  for (const Netns* ns : {&c, &s}) {
    if (auto st = ns->set_sysctl("net.ipv4.tcp_timestamps", setup.timestamps ? "1" : "0"); !st)
      return fail(st.error());
  }
  if (auto st = c.set_sysctl("net.ipv4.ip_local_port_range",
                             fmt::format("{} {}", setup.port_low, setup.port_high));
      !st)
    return fail(st.error());
  if (auto st = c.set_sysctl("net.ipv4.tcp_tw_reuse", std::to_string(setup.tw_reuse)); !st)
    return fail(st.error());
  if (auto d = c.sysctl("net.ipv4.tcp_tw_reuse_delay")) v.reuse_delay_ms = std::stoll(*d);

  auto server = Server::start(s, {topo->server_addr(), kServerPort, CloseMode::kClientFirst});
  if (!server) return fail(server.error());
  auto before = read_counters(c);
  if (!before) return fail(before.error());

  ChurnConfig cc;
  cc.addr = topo->server_addr();
  cc.port = kServerPort;
  cc.rate = setup.rate;
  cc.seconds = setup.seconds;
  cc.max_connects = setup.max_connects;
  auto stats = setup.blocking ? run_churn_blocking(c, cc) : run_churn_epoll(c, cc);
  if (!stats) return fail(stats.error());
  v.stats = *stats;

  auto after = read_counters(c);
  if (!after) return fail(after.error());
  v.tw_recycled = (*after - *before).get("TWRecycled");
  auto cc_census = take_census(c);
  if (!cc_census) return fail(cc_census.error());
  v.client_time_wait = cc_census->count(TcpState::kTimeWait);
  auto sc = take_census(s);
  if (!sc) return fail(sc.error());
  v.server_time_wait = sc->count(TcpState::kTimeWait);
  return v;
}

namespace {

// Connections that got a local port after the first EADDRNOTAVAIL (those in flight at that
// moment had theirs before), and their rate.
int64_t after_failure(const ChurnVariant& v) {
  return v.stats.first_eaddrnotavail_s < 0 ? 0 : v.stats.started - v.stats.started_before_failure;
}
double rate_after_failure(const ChurnVariant& v) {
  double window = v.stats.seconds - v.stats.first_eaddrnotavail_s;
  return v.stats.first_eaddrnotavail_s < 0 || window <= 0 ? 0 : after_failure(v) / window;
}

std::string first_failure(const ChurnVariant& v) {
  if (v.stats.first_eaddrnotavail_s < 0) return "never";
  return fmt::format("after {} connections at {:.2f} s",
                     with_commas(v.stats.started_before_failure), v.stats.first_eaddrnotavail_s);
}

void add_variant_rows(const ChurnVariant& v, const std::string& label, ScenarioResult* r) {
  for (auto [key, value] :
       {std::pair{"ports", double(v.ports)},
        {"connects", double(v.stats.connects)},
        {"seconds", v.stats.seconds},
        {"connects_per_second", v.stats.rate()},
        {"eaddrnotavail", double(v.stats.eaddrnotavail)},
        {"first_eaddrnotavail_s", v.stats.first_eaddrnotavail_s},
        {"connects_before_eaddrnotavail", double(v.stats.started_before_failure)},
        {"tw_recycled", double(v.tw_recycled)},
        {"tw_reuse_delay_ms", double(v.reuse_delay_ms)},
        {"client_time_wait", double(v.client_time_wait)},
        {"server_time_wait", double(v.server_time_wait)}})
    r->values[label + "." + key] = value;
  const double attempts_possible =
      std::min(v.setup.rate > 0 ? v.setup.rate * v.stats.seconds : 1e18,
               v.setup.max_connects > 0 ? double(v.setup.max_connects) : 1e18);
  const bool should_exhaust_no_reuse = attempts_possible > v.ports * 1.05;
  const double reuse_capacity = v.ports * 1000.0 / std::max<int64_t>(v.reuse_delay_ms, 1);
  const bool reuse_works = v.setup.tw_reuse == 1 && v.setup.timestamps;
  r->rows.push_back({label + ": connections", "",
                     fmt::format("{} in {:.2f} s ({})", with_commas(v.stats.connects),
                                 v.stats.seconds, per_second(v.stats.rate())),
                     Verdict::kInfo});
  if (!reuse_works) {
    std::string why = v.setup.tw_reuse == 1 ? " (tw_reuse needs timestamps)" : "";
    r->rows.push_back(
        {label + ": first EADDRNOTAVAIL",
         should_exhaust_no_reuse
             ? fmt::format("after <= {} connections (every port in TIME_WAIT){}", v.ports, why)
             : "never (the rate x duration stays below the port count)",
         first_failure(v) + fmt::format(", {} refused", with_commas(v.stats.eaddrnotavail)),
         check(should_exhaust_no_reuse
                   ? v.stats.first_eaddrnotavail_s >= 0 && v.stats.started_before_failure <= v.ports
                   : v.stats.eaddrnotavail == 0)});
    if (v.stats.first_eaddrnotavail_s >= 0)
      r->rows.push_back(
          {label + ": rate after exhaustion",
           fmt::format("~0 until the first TIME_WAITs expire at 60 s, then {} "
                       "(ports / 60 s)",
                       per_second(v.ports / 60.0)),
           fmt::format("{} connections ({})", after_failure(v), per_second(rate_after_failure(v))),
           check(v.stats.seconds >= 60 || after_failure(v) <= v.ports / 50 + 1)});
    r->rows.push_back({label + ": connects that reused a TIME_WAIT (TWRecycled)", "0",
                       with_commas(v.tw_recycled), check(v.tw_recycled == 0)});
  } else {
    const bool fits = v.setup.rate > 0 && v.setup.rate < reuse_capacity * 0.9;
    r->rows.push_back(
        {label + ": first EADDRNOTAVAIL",
         fits ? fmt::format("never: the rate {} is below ports / tw_reuse_delay = {}",
                            per_second(v.setup.rate), per_second(reuse_capacity))
              : fmt::format("after ~{} connections, then reuse of TIME_WAITs older than {} ms",
                            v.ports, v.reuse_delay_ms),
         first_failure(v) + fmt::format(", {} refused", with_commas(v.stats.eaddrnotavail)),
         check(fits ? v.stats.eaddrnotavail == 0 : true)});
    // Reuse can start only once the first TIME_WAITs are older than the delay.
    const bool reuse_window =
        v.stats.seconds - v.stats.first_eaddrnotavail_s > v.reuse_delay_ms / 1000.0 + 0.2;
    if (!fits && v.stats.first_eaddrnotavail_s >= 0 && reuse_window)
      r->rows.push_back(
          {label + ": sustained rate after exhaustion",
           fmt::format("<= ports / tw_reuse_delay = {}", per_second(reuse_capacity)),
           per_second(rate_after_failure(v)),
           check(rate_after_failure(v) > 0 && rate_after_failure(v) <= reuse_capacity * 1.1)});
    r->rows.push_back({label + ": connects that reused a TIME_WAIT (TWRecycled)",
                       v.stats.connects > v.ports ? "> 0" : "0 (fewer connections than ports)",
                       with_commas(v.tw_recycled),
                       check(v.stats.connects > v.ports ? v.tw_recycled > 0 : true)});
  }
  r->rows.push_back({label + ": client TIME_WAIT (census)",
                     fmt::format("<= {} (one per port; the client closes first)", v.ports),
                     with_commas(v.client_time_wait),
                     check(v.client_time_wait > 0 && v.client_time_wait <= v.ports)});
  r->rows.push_back({label + ": server TIME_WAIT (census)", "0 (the passive closer)",
                     with_commas(v.server_time_wait), check(v.server_time_wait == 0)});
}

}  // namespace

Result<ScenarioResult> run_churn(const LabOptions& o) {
  ScenarioResult r;
  r.name = "churn";
  r.title = "Short connections to one server address:port with a small client port range";
  ChurnSetup base;
  if (o.port_low) base.port_low = o.port_low;
  if (o.port_high) base.port_high = o.port_high;
  if (base.port_high < base.port_low) return fail("--port-range: LOW must not exceed HIGH");
  base.rate = o.rate;
  if (o.duration > 0) base.seconds = o.duration;
  if (o.count > 0) base.max_connects = o.count;

  struct Variant {
    const char* label;
    int reuse;
    bool ts;
  };
  int64_t delay = 1000;
  for (Variant var : {Variant{"tw_reuse=0", 0, true}, Variant{"tw_reuse=1", 1, true},
                      Variant{"tw_reuse=1, timestamps=0", 1, false}}) {
    ChurnSetup s = base;
    s.tw_reuse = var.reuse;
    s.timestamps = var.ts;
    if (stop_requested()) return fail("interrupted");
    auto v = measure_churn(s);
    if (!v) return fail(v.error());
    delay = v->reuse_delay_ms;
    add_variant_rows(*v, var.label, &r);
  }
  if (o.compare_blocking) {
    // A wide range and no reuse: both loops are limited by the machine, not by ports.
    ChurnSetup wide = base;
    wide.port_low = 10000;
    wide.port_high = 60999;
    wide.rate = 0;
    wide.seconds = std::min(base.seconds, 2.0);
    auto e = measure_churn(wide);
    if (!e) return fail(e.error());
    wide.blocking = true;
    auto b = measure_churn(wide);
    if (!b) return fail(b.error());
    double ratio = b->stats.rate() > 0 ? e->stats.rate() / b->stats.rate() : 0;
    r.values["generator.epoll_connects_per_second"] = e->stats.rate();
    r.values["generator.blocking_connects_per_second"] = b->stats.rate();
    r.values["generator.ratio"] = ratio;
    r.rows.push_back({"epoll generator vs minimal blocking connect/close loop",
                      ">= 90 % (the kernel, not the generator, sets the pace)",
                      fmt::format("{} vs {} = {:.0f}%", per_second(e->stats.rate()),
                                  per_second(b->stats.rate()), ratio * 100),
                      check(ratio >= 0.9)});
  }
  r.notes.push_back(fmt::format(
      "client ip_local_port_range {}-{} ({} ports), server {}:{}; each variant runs {} s in a "
      "fresh namespace pair{}",
      base.port_low, base.port_high, base.port_high - base.port_low + 1, "10.77.1.2", kServerPort,
      base.seconds, base.rate > 0 ? fmt::format(" at {}/s", base.rate) : " as fast as possible"));
  r.notes.push_back(fmt::format(
      "TIME_WAIT lasts 60 s (TCP_TIMEWAIT_LEN): without reuse one (source IP, destination IP, "
      "destination port) tuple sustains ports / 60 s. tcp_tw_reuse=1 lets connect() take over a "
      "TIME_WAIT port only when both sides use timestamps and the TIME_WAIT is older than "
      "tcp_tw_reuse_delay ({} ms here), so reuse sustains at most ports / delay; a faster churn "
      "still meets EADDRNOTAVAIL. The default tcp_tw_reuse=2 applies to loopback only and acts "
      "like 0 on this veth link.",
      delay));
  r.notes.push_back("after EADDRNOTAVAIL the generator waits 1 ms before the next connect()");
  return r;
}

}  // namespace tw::lab
