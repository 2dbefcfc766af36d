// SPDX-License-Identifier: Apache-2.0
// A listening port inside the ephemeral range: while the service is down (a restart), an
// outgoing connection may take the port and bind() then fails with EADDRINUSE.
#include <fmt/format.h>

#include <algorithm>

#include "doctor/finding_json.h"
#include "doctor/range_proposal.h"
#include "doctor/reserved_ports.h"
#include "doctor/rules.h"

namespace tw {

std::vector<Finding> rule_listener_in_range(const DoctorInput& in) {
  if (!in.is_linux_like()) return {};
  if (!in.by_local_port)
    return {not_checked("listener-in-range", "sockets", {"ip_local_reserved_ports"})};
  if (!in.pool)
    return {not_checked("listener-in-range", "port range", {"ip_local_reserved_ports"})};
  // Listeners inside the range: not reserved (connect() may take them) and reserved (safe).
  std::vector<uint16_t> ports, reserved_ports;
  for (const GroupRow& row : in.by_local_port->groups()) {
    const uint16_t port = row.key.local.port;
    if (!row.counts[state_index(TcpState::kListen)] || port < in.pool->low || port > in.pool->high)
      continue;
    (in.pool->contains(port) ? ports : reserved_ports).push_back(port);
  }
  std::sort(ports.begin(), ports.end());
  std::sort(reserved_ports.begin(), reserved_ports.end());
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "listener-in-range";
  f.topics = {"ip_local_reserved_ports", "ip_local_port_range"};
  f.sources = {"kernel Documentation/networking/ip-sysctl.rst: ip_local_reserved_ports",
               "RFC 6056 (ephemeral port selection)"};
  const std::string existing = in.facts.sysctl("net.ipv4.ip_local_reserved_ports").value_or("");
  data = {{"listeners", ports},
          {"range", {in.pool->low, in.pool->high}},
          {"range_assumed", in.pool_assumed},
          {"reserved", existing}};
  data["reserved_listeners"] = reserved_ports;
  if (ports.empty()) {
    f.severity = Severity::kOk;
    if (reserved_ports.empty()) {
      f.title = fmt::format("no listening port inside the ephemeral range {}-{}{}", in.pool->low,
                            in.pool->high, in.pool_assumed ? " (assumed default)" : "");
    } else {
      std::string list;
      for (size_t i = 0; i < reserved_ports.size() && i < 20; ++i)
        list += (i ? ", " : "") + fmt::format("{}", reserved_ports[i]);
      if (reserved_ports.size() > 20)
        list += fmt::format(" and {} more", reserved_ports.size() - 20);
      f.title = fmt::format(
          "listening port{} {} inside the ephemeral range {}-{}{} reserved "
          "(ip_local_reserved_ports): connect() never takes {}",
          reserved_ports.size() == 1 ? "" : "s", list, in.pool->low, in.pool->high,
          reserved_ports.size() == 1 ? " is" : " are", reserved_ports.size() == 1 ? "it" : "them");
      f.evidence = {fmt::format("ip_local_reserved_ports = {}", existing)};
    }
    return {with_data(std::move(f), data)};
  }
  std::string list;
  for (size_t i = 0; i < ports.size() && i < 20; ++i)
    list += (i ? ", " : "") + fmt::format("{}", ports[i]);
  if (ports.size() > 20) list += fmt::format(" and {} more", ports.size() - 20);
  f.severity = Severity::kWarning;
  f.title = fmt::format("{} listening port{} inside the ephemeral range {}-{}: {}", ports.size(),
                        ports.size() == 1 ? "" : "s", in.pool->low, in.pool->high, list);
  f.evidence = {fmt::format("listening on {} (not in ip_local_reserved_ports)", list),
                fmt::format("ephemeral range {}-{}{}", in.pool->low, in.pool->high,
                            in.pool_assumed ? " (assumed: the setting was not captured)" : "")};
  f.why =
      "connect() picks source ports from ip_local_port_range. While the service is stopped (a "
      "restart, a crash), an outgoing connection can take its port, and the service's bind() then "
      "fails with EADDRINUSE until that connection and its TIME_WAIT are gone. Reserved ports are "
      "never chosen for connect() but can still be bound explicitly.";
  // When the ephemeral-range finding widens the range in the same --apply, it reserves the
  // listeners of the wider range: ask for that same value, never a conflicting one.
  std::vector<uint16_t> reserve = ports;
  if (auto p = small_range_fix(in); p && p->apply) reserve = p->reserved_listeners;
  // On a Kubernetes node, the NodePorts node-port-range reserves too: one value for both.
  if (in.node_ports) {
    auto np = node_ports_in_pool(*in.node_ports, *in.pool);
    reserve.insert(reserve.end(), np.begin(), np.end());
  }
  f.sysctls = {{"net.ipv4.ip_local_reserved_ports", reserved_ports_with(existing, reserve), true}};
  f.application = {"Or move the service to a port below the range (e.g. under 32768)."};
  f.dont = {
      "Do not shrink ip_local_port_range to step around the port: it cuts the connection "
      "rate every destination can sustain; reserve the port instead."};
  return {with_data(std::move(f), data)};
}

}  // namespace tw
