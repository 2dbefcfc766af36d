// SPDX-License-Identifier: Apache-2.0
#include "plan/levers.h"

#include <fmt/format.h>

#include <functional>

#include "doctor/range_proposal.h"
#include "plan/sources.h"

namespace tw::plan {

namespace {

// The doctor's wider-range proposal for this pool, so `plan` and `doctor` propose one range.
std::optional<RangeProposal> wider_range(const Plan& p) {
  if (p.input.platform == Platform::kOther) return std::nullopt;
  DoctorInput d;
  if (p.input.platform == Platform::kWindows) {
    d.facts.os = "windows";
    d.facts.windows_params["DynamicPortStart"] = p.pool.low;
    d.facts.windows_params["DynamicPortNumber"] = p.pool.high - p.pool.low + 1;
    d.windows_dynamicport = true;
    d.pool = p.pool;
  } else {
    d.facts.os = "linux";
    d.facts.sysctls["net.ipv4.ip_local_port_range"] = fmt::format("{} {}", p.pool.low, p.pool.high);
    std::string reserved;
    for (auto [a, b] : p.pool.reserved)
      reserved +=
          (reserved.empty() ? "" : ",") + (a == b ? std::to_string(a) : fmt::format("{}-{}", a, b));
    d.facts.sysctls["net.ipv4.ip_local_reserved_ports"] = reserved;
  }
  return propose_wider_range(d);
}

Lever evaluate(const Plan& today, std::string name, std::string change, std::string source,
               const std::function<void(PlanInput*)>& edit) {
  Lever l{std::move(name), std::move(change), std::move(source)};
  PlanInput in = today.input;
  edit(&in);
  auto after = make_plan(in);
  if (!after) {
    l.applies = false;
    l.change = after.error();
    return l;
  }
  l.sustainable_total = after->sustainable_total;
  l.total_rate = after->total_rate;
  l.headroom = after->headroom;
  if (l.headroom && today.headroom) l.gain = *l.headroom / *today.headroom;
  return l;
}

Lever not_here(std::string name, std::string why, std::string source) {
  Lever l{std::move(name), std::move(why), std::move(source)};
  l.applies = false;
  return l;
}

}  // namespace

std::vector<Lever> levers(const Plan& p) {
  const PlanInput& in = p.input;
  std::vector<Lever> out;
  out.push_back(evaluate(p, "one more source address",
                         fmt::format("{} client addresses instead of {}, connections spread "
                                     "over them (bind() each to one, with IP_BIND_ADDRESS_NO_PORT)",
                                     in.source_addrs + 1, in.source_addrs),
                         kSrcSourceAddrs, [](PlanInput* i) { ++i->source_addrs; }));
  if (in.nat == NatKind::kGcp) {
    out.push_back(evaluate(p, "twice the Cloud NAT ports per VM",
                           fmt::format("--min-ports-per-vm {} instead of {}",
                                       in.nat_ports.value_or(64) * 2, in.nat_ports.value_or(64)),
                           kSrcGcp,
                           [](PlanInput* i) { i->nat_ports = i->nat_ports.value_or(64) * 2; }));
  } else if (in.nat != NatKind::kNone) {
    out.push_back(
        evaluate(p, "one more NAT address",
                 fmt::format("{} NAT addresses instead of {}", in.nat_addrs + 1, in.nat_addrs),
                 kSrcSourceAddrs, [](PlanInput* i) { ++i->nat_addrs; }));
  }
  if (in.requests_per_connection < in.keepalive_requests) {
    out.push_back(evaluate(
        p, fmt::format("keep-alive at {:g} requests per connection", in.keepalive_requests),
        fmt::format("reuse each connection for {:g} requests instead of {:g}: {:g}x fewer new "
                    "connections",
                    in.keepalive_requests, in.requests_per_connection,
                    in.keepalive_requests / in.requests_per_connection),
        kSrcKeepalive, [](PlanInput* i) {
          i->rate = i->rate * i->requests_per_connection / i->keepalive_requests;
          i->requests_per_connection = i->keepalive_requests;
        }));
  }
  const std::string reuse = "tcp_tw_reuse=1";
  if (in.platform != Platform::kLinux)
    out.push_back(not_here(reuse, "a Linux setting", kSrcTwReuse));
  else if (in.who_closes == Closer::kServer)
    out.push_back(not_here(
        reuse, "the server closes first and holds TIME_WAIT; tcp_tw_reuse acts on connect() only",
        kSrcTwReuse));
  else if (!in.timestamps)
    out.push_back(not_here(reuse, "needs TCP timestamps, which are off", kSrcTwReuse));
  else if (in.bind_before_connect)
    out.push_back(not_here(
        reuse, "the clients bind() before connect(): fix that first (IP_BIND_ADDRESS_NO_PORT)",
        kSrcTwReuse));
  else if (in.tw_reuse == 1)
    out.push_back(not_here(reuse, "already on", kSrcTwReuse));
  else
    out.push_back(evaluate(p, reuse,
                           fmt::format("sysctl -w net.ipv4.tcp_tw_reuse=1 on the client "
                                       "(reuse delay {:g} ms)",
                                       in.reuse_delay_s * 1000),
                           kSrcTwReuse, [](PlanInput* i) { i->tw_reuse = 1; }));
  if (in.bind_before_connect)
    out.push_back(evaluate(p, "IP_BIND_ADDRESS_NO_PORT",
                           "setsockopt(IP_BIND_ADDRESS_NO_PORT, 1) before bind(addr, 0): the "
                           "port is chosen at connect(), per destination",
                           kSrcBindNoPort, [](PlanInput* i) { i->bind_before_connect = false; }));
  else
    out.push_back(not_here("IP_BIND_ADDRESS_NO_PORT",
                           "the clients do not bind() before connect(): ports are already shared "
                           "across destinations",
                           kSrcBindNoPort));
  if (auto wider = wider_range(p)) {
    const std::string change =
        in.platform == Platform::kWindows
            ? wider->commands.front()
            : fmt::format("sysctl -w net.ipv4.ip_local_port_range=\"{} {}\" ({})", wider->low,
                          wider->high, wider->summary());
    const uint16_t low = wider->low, high = wider->high;
    out.push_back(evaluate(p, "a wider port range", change, kSrcWiderRange, [=](PlanInput* i) {
      PortPool pool = i->effective_pool();
      pool.low = low;
      pool.high = high;
      i->pool = pool;
    }));
  } else {
    out.push_back(not_here("a wider port range",
                           in.platform == Platform::kOther
                               ? "not modelled for this platform"
                               : "the range is already as wide as the planner proposes",
                           kSrcWiderRange));
  }
  return out;
}

}  // namespace tw::plan
