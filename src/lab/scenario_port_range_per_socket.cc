// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_port_range_per_socket.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lab/stop.h"
#include "model/format.h"
#include "os/unique_fd.h"

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51  // Linux 6.3 include/uapi/linux/in.h
#endif

namespace tw::lab {

namespace {

std::string kernel_release() {
  utsname u{};
  return uname(&u) == 0 ? u.release : "unknown";
}

ExhaustConfig toward(const ExhaustPair& pair, int64_t max_connects) {
  ExhaustConfig c;
  c.dests = pair.dests;
  c.max_connects = max_connects;
  c.max_seconds = 30;
  return c;
}

int64_t outside(const ExhaustStats& s, int low, int high) {
  int64_t n = 0;
  for (uint16_t p : s.ports) n += p < low || p > high;
  return n;
}

}  // namespace

std::optional<std::string> port_range_option_missing() {
  const os::UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fmt::format("socket: {}", std::strerror(errno));
  const uint32_t range = 0;  // 0/0: no range of its own, which every supporting kernel takes
  const int rc = setsockopt(fd.get(), IPPROTO_IP, IP_LOCAL_PORT_RANGE, &range, sizeof range);
  const int err = errno;
  if (rc == 0) return std::nullopt;
  return fmt::format(
      "this kernel ({}) refuses IP_LOCAL_PORT_RANGE ({}): it needs Linux 6.3 or later (commit "
      "91d0b78c5177); run the scenario on such a kernel",
      kernel_release(), strerrorname_np(err));
}

Result<RangeSplitRun> measure_range_split(int low, int high) {
  RangeSplitRun run;
  run.low = low;
  run.high = high;
  auto pair = exhaust_pair(low, high);
  if (!pair) return fail(pair.error());
  const int mid = low + (high - low + 1) / 2;  // A: low..mid-1, B: mid..high
  ExhaustConfig a = toward(*pair, high - low + 8);
  a.range_low = static_cast<uint16_t>(low);
  a.range_high = static_cast<uint16_t>(mid - 1);
  auto sa = run_until_exhausted(pair->topo.client(), a);
  if (!sa) return fail(sa.error());
  ExhaustConfig b = a;
  b.range_low = static_cast<uint16_t>(mid);
  b.range_high = static_cast<uint16_t>(high);
  auto sb = run_until_exhausted(pair->topo.client(), b);
  if (!sb) return fail(sb.error());
  run.a = *sa;
  run.b = *sb;
  run.a_outside = outside(run.a, a.range_low, a.range_high);
  run.b_outside = outside(run.b, b.range_low, b.range_high);
  return run;
}

Result<ParityRun> measure_parity(int low, int high, bool per_socket_range) {
  ParityRun run;
  run.low = low;
  run.high = high;
  run.per_socket_range = per_socket_range;
  auto pair = exhaust_pair(low, high);
  if (!pair) return fail(pair.error());
  const int ports = high - low + 1;
  ExhaustConfig c = toward(*pair, ports + 8);
  if (per_socket_range) {
    c.range_low = static_cast<uint16_t>(low);
    c.range_high = static_cast<uint16_t>(high);
  }
  auto st = run_until_exhausted(pair->topo.client(), c);
  if (!st) return fail(st.error());
  run.stats = *st;
  run.first_half = std::min<int64_t>((ports + 1) / 2, st->ports.size());
  for (int64_t i = 0; i < run.first_half; ++i)
    run.first_half_low_parity += (st->ports[i] & 1) == (low & 1);
  const size_t tenth = std::max<size_t>(1, st->connect_us.size() / 10);
  if (st->connect_us.size() >= 10) {
    run.early_us = median({st->connect_us.begin(), st->connect_us.begin() + tenth});
    run.late_us = median({st->connect_us.end() - tenth, st->connect_us.end()});
  }
  return run;
}

Result<ScenarioResult> run_port_range_per_socket(const LabOptions& o) {
  ScenarioResult r;
  r.name = "port-range-per-socket";
  r.title =
      "IP_LOCAL_PORT_RANGE splits one source address; connect() slows once even ports run "
      "out";
  if (auto missing = port_range_option_missing()) {
    r.rows.push_back({"IP_LOCAL_PORT_RANGE supported", "yes on Linux 6.3 and later",
                      "unsupported: " + *missing, Verdict::kDiffers});
    r.values["supported"] = 0;
    r.notes.push_back("blocked: " + *missing);
    return r;
  }
  r.values["supported"] = 1;
  const int split_low = 40000, split_high = 40063;
  auto split = measure_range_split(split_low, split_high);
  if (!split) return fail(split.error());
  const int half = (split_high - split_low + 1) / 2;
  for (auto [name, s, out] : {std::tuple{"client A", &split->a, split->a_outside},
                              std::tuple{"client B", &split->b, split->b_outside}}) {
    const std::string key = name == std::string("client A") ? "split.a." : "split.b.";
    r.values[key + "connects_before_failure"] = s->before_failure;
    r.values[key + "outside_own_range"] = out;
    r.rows.push_back(
        {fmt::format("split {}-{}: {} (its own {} ports)", split_low, split_high, name, half),
         fmt::format("{} connections, every port in its own range, then EADDRNOTAVAIL", half),
         fmt::format("{}, {} outside, then {}", s->before_failure, out,
                     s->failed() ? s->first_error : "no failure"),
         check(s->before_failure == half && out == 0 && s->first_errno == EADDRNOTAVAIL)});
  }
  const int low = o.port_low ? o.port_low : 40000, high = o.port_high ? o.port_high : 47999;
  for (bool per_socket : {false, true}) {
    if (stop_requested()) return fail("interrupted");
    auto p = measure_parity(low, high, per_socket);
    if (!p) return fail(p.error());
    const std::string label = per_socket ? fmt::format("{}-{} with IP_LOCAL_PORT_RANGE", low, high)
                                         : fmt::format("{}-{}, connect() alone", low, high);
    const std::string key = per_socket ? "per_socket." : "global.";
    const double share = p->first_half ? double(p->first_half_low_parity) / p->first_half : 0;
    r.values[key + "connects"] = p->stats.connects;
    r.values[key + "first_half_low_parity_share"] = share;
    r.values[key + "early_connect_us"] = p->early_us;
    r.values[key + "late_connect_us"] = p->late_us;
    const char* parity = (low & 1) ? "odd" : "even";
    r.rows.push_back(
        {label + fmt::format(": {} ports among the first {}", parity, with_commas(p->first_half)),
         per_socket ? "about half: a socket with its own range has no parity preference (Linux "
                      "6.8, 207184853dbd)"
                    : fmt::format("all: connect() takes {} ports first (07f4c90062f8)", parity),
         fmt::format("{:.1f} %", share * 100),
         check(per_socket ? share > 0.3 && share < 0.7 : share >= 0.99)});
    const double ratio = p->early_us > 0 ? p->late_us / p->early_us : 0;
    r.values[key + "latency_ratio"] = ratio;
    r.rows.push_back({label + ": median connect() time, first tenth vs last tenth",
                      per_socket
                          ? "no parity wall (info)"
                          : "slower at the end: each connect() first scans every used port of the "
                            "preferred parity",
                      fmt::format("{:.0f} us vs {:.0f} us ({:.1f}x), {} connections", p->early_us,
                                  p->late_us, ratio, with_commas(p->stats.connects)),
                      per_socket ? Verdict::kInfo : check(ratio > 1.5)});
  }
  r.notes.push_back(fmt::format(
      "client 10.77.1.1 -> 10.77.1.2:{}, the client closes first so every used port stays in "
      "TIME_WAIT; split: ip_local_port_range {}-{}, client A's sockets set IP_LOCAL_PORT_RANGE "
      "to its lower half and run out first, then client B's to the upper half",
      kExhaustFirstPort, split_low, split_high));
  r.notes.push_back(
      "IP_LOCAL_PORT_RANGE (Linux 6.3, 91d0b78c5177) takes hi << 16 | lo and can only narrow "
      "the namespace's range. Latency is measured per blocking connect() on a shared machine: "
      "medians of a tenth of the connections each (Cloudflare, \"connect() - why are you so "
      "slow?\", 2024)");
  return r;
}

}  // namespace tw::lab
