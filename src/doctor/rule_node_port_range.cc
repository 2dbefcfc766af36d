// SPDX-License-Identifier: Apache-2.0
// A Kubernetes node whose ephemeral range covers NodePorts: connect() can pick a NodePort as the
// source port of an outgoing connection (kube-proxy stopped holding NodePorts open in 1.21.14,
// kubernetes #108496), and packets to it then meet kube-proxy's NodePort rules (kubernetes
// #111682, #111823). The fix is to reserve them; the reservation merges with what is reserved
// already and with the listeners listener-in-range reserves, so both ask for one value.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "doctor/finding_json.h"
#include "doctor/range_proposal.h"
#include "doctor/reserved_ports.h"
#include "doctor/rules.h"

namespace tw {

namespace {

// "30080, 30081 and 12 more": at most 20 named.
std::string port_list(const std::vector<uint16_t>& ports) {
  std::string out;
  for (size_t i = 0; i < ports.size() && i < 20; ++i)
    out += fmt::format("{}{}", i ? ", " : "", ports[i]);
  if (ports.size() > 20) out += fmt::format(" and {} more", ports.size() - 20);
  return out;
}

}  // namespace

std::vector<Finding> rule_node_port_range(const DoctorInput& in) {
  if (!in.is_linux_like() || !in.node_ports) return {};
  const NodePorts& np = *in.node_ports;
  if (!in.pool)
    return {not_checked("node-port-range", "port range",
                        {"ip_local_reserved_ports", "ip_local_port_range"})};
  const PortPool& pool = *in.pool;
  const std::vector<uint16_t> take = node_ports_in_pool(np, pool);
  std::vector<uint16_t> in_use_taken, outside;
  for (uint16_t p : np.in_use) {
    if (p < np.low || p > np.high) outside.push_back(p);
    if (pool.contains(p)) in_use_taken.push_back(p);
  }

  const std::string existing = in.facts.sysctl("net.ipv4.ip_local_reserved_ports").value_or("");
  const std::string range_from =
      np.range_assumed ? "Kubernetes' default: kube-apiserver's --service-node-port-range is not "
                         "visible on this node"
                       : "from " + np.range_source;
  Finding f;
  f.id = "node-port-range";
  f.topics = {"ip_local_reserved_ports", "ip_local_port_range"};
  f.sources = {
      "kubernetes #111823 and #111682 (a NodePort taken as a source port); #111697 (the "
      "NodePort range must not overlap the nodes' ephemeral range)",
      "kubernetes #108496 (kube-proxy 1.21.14 no longer holds NodePorts open)",
      "kernel Documentation/networking/ip-sysctl.rst: ip_local_reserved_ports"};
  const nlohmann::json data = {
      {"node_port_range", {np.low, np.high}},         {"node_port_range_assumed", np.range_assumed},
      {"node_port_range_source", np.range_source},    {"rules_in", np.seen_in},
      {"node_ports_in_use", np.in_use.size()},        {"node_ports_outside_range", outside},
      {"ephemeral_range", {pool.low, pool.high}},     {"reserved", existing},
      {"unreserved_in_ephemeral_range", take.size()}, {"in_use_unreserved", in_use_taken}};
  std::vector<std::string> evidence = {
      fmt::format("NodePort range {}-{} ({})", np.low, np.high, range_from),
      fmt::format("kube-proxy's rules ({}): {} NodePort{} in use", fmt::join(np.seen_in, ", "),
                  np.in_use.size(), np.in_use.size() == 1 ? "" : "s"),
      fmt::format("ephemeral range {}-{}{}, ip_local_reserved_ports = {}", pool.low, pool.high,
                  in.pool_assumed ? " (assumed: the setting was not captured)" : "",
                  existing.empty() ? "(none)" : existing)};
  if (!outside.empty())
    evidence.push_back(fmt::format("NodePorts outside that range (the range was changed?): {}",
                                   port_list(outside)));
  if (take.empty()) {
    f.severity = Severity::kOk;
    bool overlap = np.low <= pool.high && np.high >= pool.low;
    f.title = overlap ? fmt::format(
                            "the NodePort range {}-{} is reserved inside the ephemeral "
                            "range {}-{}: connect() never takes a NodePort",
                            np.low, np.high, pool.low, pool.high)
                      : fmt::format("the NodePort range {}-{} is outside the ephemeral range {}-{}",
                                    np.low, np.high, pool.low, pool.high);
    f.evidence = std::move(evidence);
    return {with_data(std::move(f), data)};
  }
  f.severity = Severity::kWarning;
  f.title = fmt::format(
      "{} port{} of the NodePort range {}-{} {} inside the ephemeral range {}-{} unreserved: "
      "connect() can take a NodePort as a source port",
      take.size(), take.size() == 1 ? "" : "s", np.low, np.high, take.size() == 1 ? "is" : "are",
      pool.low, pool.high);
  if (!in_use_taken.empty())
    evidence.push_back(fmt::format("NodePorts with rules now that connect() can take: {}",
                                   port_list(in_use_taken)));
  evidence.push_back(fmt::format("usable ephemeral ports: {} now, {} once they are reserved",
                                 pool.usable(), pool.usable() - static_cast<int>(take.size())));
  f.evidence = std::move(evidence);
  f.why =
      "connect() takes source ports from ip_local_port_range minus ip_local_reserved_ports, and "
      "since 1.21.14 kube-proxy no longer binds NodePorts, so nothing keeps a NodePort out of an "
      "outgoing connection: packets to that port then meet kube-proxy's NodePort rules and the "
      "connection can hang, and a Service given the port later is shadowed for as long as the "
      "connection lives. Reserved ports are never picked by connect(); NodePort traffic still "
      "reaches them (kube-proxy's rules need no socket).";
  // The listeners listener-in-range reserves go into the same value, so the two findings agree.
  std::vector<uint16_t> reserve = take;
  if (auto p = small_range_fix(in); p && p->apply) {
    reserve.insert(reserve.end(), p->reserved_listeners.begin(), p->reserved_listeners.end());
  } else {
    for (uint16_t port : listening_ports(in))
      if (pool.contains(port)) reserve.push_back(port);
  }
  f.sysctls = {{"net.ipv4.ip_local_reserved_ports", reserved_ports_with(existing, reserve), true}};
  f.application = {
      "Or move the NodePort range out of the ephemeral range (kube-apiserver "
      "--service-node-port-range): Services keep their allocated ports until recreated."};
  f.dont = {
      "Do not narrow ip_local_port_range to step around the NodePort range: it cuts the "
      "connection rate every destination can sustain; reserve the NodePorts instead.",
      "Do not reserve ports by hand per Service: NodePorts are allocated from the whole range at "
      "any time; reserve the range."};
  return {with_data(std::move(f), data)};
}

}  // namespace tw
