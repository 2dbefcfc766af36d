// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_bind_before_connect.h"

#include <fmt/format.h>

#include <cerrno>
#include <set>

#include "lab/stop.h"
#include "model/format.h"

namespace tw::lab {

namespace {

const char* mode_label(BindMode m) {
  switch (m) {
    case BindMode::kNone:
      return "connect() alone";
    case BindMode::kBindPort:
      return "bind(addr, 0) then connect()";
    case BindMode::kBindNoPort:
      return "IP_BIND_ADDRESS_NO_PORT, bind(addr, 0), connect()";
  }
  return "?";
}

const char* mode_key(BindMode m) {
  switch (m) {
    case BindMode::kNone:
      return "connect";
    case BindMode::kBindPort:
      return "bind";
    case BindMode::kBindNoPort:
      return "bind_no_port";
  }
  return "?";
}

}  // namespace

Result<BindBeforeConnectRun> measure_bind_before_connect(const BindBeforeConnectSetup& s) {
  if (s.port_high < s.port_low || s.destinations < 1 || s.destinations > 32)
    return fail("bind-before-connect: the port range or destination count is out of bounds");
  BindBeforeConnectRun run;
  run.setup = s;
  run.ports = s.port_high - s.port_low + 1;
  auto pair = exhaust_pair(s.port_low, s.port_high, s.destinations);
  if (!pair) return fail(pair.error());
  ExhaustConfig c;
  c.dests = pair->dests;
  c.sources = {pair->topo.client_addr()};
  c.bind = s.bind;
  // One more round than the most that can fit, so the failure is always reached.
  c.max_connects = int64_t(run.ports) * s.destinations + s.destinations + 8;
  c.max_seconds = 20;
  auto stats = run_until_exhausted(pair->topo.client(), c);
  if (!stats) return fail(stats.error());
  run.stats = *stats;
  run.distinct_ports = std::set<uint16_t>(stats->ports.begin(), stats->ports.end()).size();
  return run;
}

Result<ScenarioResult> run_bind_before_connect(const LabOptions& o) {
  ScenarioResult r;
  r.name = "bind-before-connect";
  r.title = "bind(addr, 0) before connect(): one pool per source address, not per destination";
  BindBeforeConnectSetup base;
  if (o.port_low) base.port_low = o.port_low;
  if (o.port_high) base.port_high = o.port_high;
  if (o.count > 0) base.destinations = int(std::min<int64_t>(o.count, 32));
  const int ports = base.port_high - base.port_low + 1;
  const int64_t per_destination = int64_t(ports) * base.destinations;
  for (BindMode m : {BindMode::kNone, BindMode::kBindPort, BindMode::kBindNoPort}) {
    if (stop_requested()) return fail("interrupted");
    BindBeforeConnectSetup s = base;
    s.bind = m;
    auto run = measure_bind_before_connect(s);
    if (!run) return fail(run.error());
    const ExhaustStats& st = run->stats;
    const std::string key = mode_key(m), label = mode_label(m);
    r.values[key + ".connects_before_failure"] = st.before_failure;
    r.values[key + ".distinct_local_ports"] = run->distinct_ports;
    r.values[key + ".first_errno"] = st.first_errno;
    r.values[key + ".client_time_wait"] = run->stats.client_time_wait;
    const std::string measured =
        fmt::format("{} connections, then {}", with_commas(st.before_failure),
                    st.failed() ? st.first_error : "no failure");
    if (m == BindMode::kBindPort) {
      r.rows.push_back(
          {label + ": connections before the first failure",
           fmt::format("<= {} in total across {} destinations (one pool for the address); bind() "
                       "fails with EADDRINUSE",
                       ports, base.destinations),
           measured,
           check(st.first_errno == EADDRINUSE && st.before_failure <= ports &&
                 st.before_failure >= ports * 0.9)});
    } else {
      r.rows.push_back(
          {label + ": connections before the first failure",
           fmt::format("{} ({} ports x {} destinations: a pool per destination); connect() fails "
                       "with EADDRNOTAVAIL",
                       with_commas(per_destination), ports, base.destinations),
           measured,
           check(st.first_errno == EADDRNOTAVAIL && st.before_failure <= per_destination &&
                 st.before_failure >= per_destination * 0.95)});
    }
    r.rows.push_back({label + ": distinct local ports used",
                      m == BindMode::kBindPort
                          ? fmt::format("<= {}, each once", ports)
                          : fmt::format("<= {}, each toward every destination", ports),
                      with_commas(run->distinct_ports), check(run->distinct_ports <= ports)});
    r.rows.push_back({label + ": client TIME_WAIT (census)",
                      "one per connection (the client closes first)",
                      with_commas(run->stats.client_time_wait),
                      check(run->stats.client_time_wait >= st.connects * 0.95 &&
                            run->stats.client_time_wait <= st.connects)});
  }
  r.notes.push_back(fmt::format(
      "client 10.77.1.1 with ip_local_port_range {}-{} ({} ports) -> server 10.77.1.2 ports "
      "{}-{}, taken in turn; each variant in fresh namespaces; the client closes first",
      base.port_low, base.port_high, ports, kExhaustFirstPort,
      kExhaustFirstPort + base.destinations - 1));
  r.notes.push_back(
      "bind(addr, 0) must pick a port before the destination is known, so it takes only a port "
      "no socket holds, TIME_WAITs included: the address gets one pool for all destinations "
      "(envoy #44747). IP_BIND_ADDRESS_NO_PORT (Linux 4.2) defers the choice to connect(), which "
      "needs only the 4-tuple to be unique, so a port serves every destination again.");
  return r;
}

}  // namespace tw::lab
