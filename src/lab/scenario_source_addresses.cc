// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_source_addresses.h"

#include <fmt/format.h>

#include <cerrno>

#include "lab/stop.h"
#include "model/format.h"

namespace tw::lab {

namespace {
constexpr int kMaxAddresses = 16;
}  // namespace

Result<SourceAddressesRun> measure_source_addresses(int addresses, int port_low, int port_high) {
  if (addresses < 1 || addresses > kMaxAddresses || port_high < port_low)
    return fail("source-addresses: the address count or port range is out of bounds");
  SourceAddressesRun run;
  run.addresses = addresses;
  run.ports = port_high - port_low + 1;
  auto pair = exhaust_pair(port_low, port_high);
  if (!pair) return fail(pair.error());
  const Netns& c = pair->topo.client();
  ExhaustConfig cfg;
  cfg.sources = {pair->topo.client_addr()};
  // The extra addresses sit on the client's link, so the server answers them directly.
  for (int i = 1; i < addresses; ++i) {
    std::string addr = fmt::format("10.77.1.{}", 10 + i);
    if (auto st = c.ip(fmt::format("addr add {}/24 dev server", addr)); !st)
      return fail(st.error());
    cfg.sources.push_back(addr);
  }
  cfg.dests = pair->dests;
  cfg.bind = BindMode::kBindNoPort;
  cfg.max_connects = int64_t(run.ports) * addresses + addresses + 8;
  cfg.max_seconds = 20;
  auto stats = run_until_exhausted(c, cfg);
  if (!stats) return fail(stats.error());
  run.stats = *stats;
  return run;
}

Result<ScenarioResult> run_source_addresses(const LabOptions& o) {
  ScenarioResult r;
  r.name = "source-addresses";
  r.title = "N source addresses carry N times the connections toward one destination";
  const int low = o.port_low ? o.port_low : 40000, high = o.port_high ? o.port_high : 40063;
  const int many = o.count > 1 ? int(std::min<int64_t>(o.count, kMaxAddresses)) : 4;
  const int ports = high - low + 1;
  std::vector<SourceAddressesRun> runs;
  for (int n : {1, many}) {
    if (stop_requested()) return fail("interrupted");
    auto run = measure_source_addresses(n, low, high);
    if (!run) return fail(run.error());
    const ExhaustStats& st = run->stats;
    const int64_t expected = int64_t(ports) * n;
    const std::string key = fmt::format("{}addr.", n);
    r.values[key + "connects_before_failure"] = st.before_failure;
    r.values[key + "client_time_wait"] = run->stats.client_time_wait;
    r.values[key + "first_errno"] = st.first_errno;
    const std::string label = fmt::format("{} source address{}", n, n == 1 ? "" : "es");
    r.rows.push_back({label + ": connections before the first EADDRNOTAVAIL",
                      fmt::format("{} ({} ports x {})", with_commas(expected), ports, n),
                      fmt::format("{}, then {}", with_commas(st.before_failure),
                                  st.failed() ? st.first_error : "no failure"),
                      check(st.first_errno == EADDRNOTAVAIL && st.before_failure <= expected &&
                            st.before_failure >= expected * 0.95)});
    r.rows.push_back({label + ": client TIME_WAIT (census)",
                      fmt::format("<= {}, one per connection", with_commas(expected)),
                      with_commas(run->stats.client_time_wait),
                      check(run->stats.client_time_wait <= expected &&
                            run->stats.client_time_wait >= st.connects * 0.95)});
    runs.push_back(*run);
  }
  const double ratio = runs[0].stats.before_failure > 0
                           ? double(runs[1].stats.before_failure) / runs[0].stats.before_failure
                           : 0;
  r.values["ratio"] = ratio;
  r.rows.push_back({fmt::format("{} addresses vs 1: capacity ratio", many),
                    fmt::format("{}x", many), fmt::format("{:.2f}x", ratio),
                    check(ratio >= many * 0.95 && ratio <= many * 1.05)});
  r.notes.push_back(fmt::format(
      "client 10.77.1.1 (+ 10.77.1.11...) with ip_local_port_range {}-{} ({} ports) -> "
      "10.77.1.2:{}; each connection binds the next address with IP_BIND_ADDRESS_NO_PORT, so "
      "the port is chosen per (source, destination) at connect(); the client closes first",
      low, high, ports, kExhaustFirstPort));
  r.notes.push_back(
      "the pool of ports is per (source address, destination address, destination port): "
      "sustained without reuse, N addresses give N x ports / 60 s");
  return r;
}

}  // namespace tw::lab
