// SPDX-License-Identifier: Apache-2.0
// The ephemeral port range: its size (the denominator of every tuple's port pressure) and its
// ends' parity (connect() prefers even ports since 07f4c90062f8).
#include <fmt/format.h>

#include "doctor/finding_json.h"
#include "doctor/range_proposal.h"
#include "doctor/rules.h"
#include "model/format.h"

namespace tw {

std::vector<Finding> rule_ephemeral_range(const DoctorInput& in) {
  if (!in.is_linux_like()) return {};
  constexpr const char* kName = "net.ipv4.ip_local_port_range";
  if (!in.facts.sysctl(kName))
    return {
        not_checked("ephemeral-range", "net.ipv4.ip_local_port_range", {"ip_local_port_range"})};
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "ephemeral-range";
  f.topics = {"ip_local_port_range", "ip_local_reserved_ports"};
  f.sources = {
      "kernel default 32768-60999 (28,232 ports)",
      "kernel commit 07f4c90062f8 (2015): connect() prefers even ports, leaves odd to bind()",
      "RFC 6056 (ephemeral port selection)"};
  auto pool = parse_port_range(*in.facts.sysctl(kName));
  if (!pool) {
    f.severity = Severity::kWarning;
    f.title = "ip_local_port_range could not be read: " + pool.error();
    return {with_data(std::move(f), data)};
  }
  if (auto r = in.facts.sysctl("net.ipv4.ip_local_reserved_ports"))
    if (auto list = parse_port_list(*r)) pool->reserved = *list;
  const int usable = pool->usable();
  f.evidence = {fmt::format("{} = {} {} ({} ports, {} usable after ip_local_reserved_ports)", kName,
                            pool->low, pool->high, with_commas(pool->high - pool->low + 1),
                            with_commas(usable)),
                fmt::format("each destination (address, port) sustains about {} / 60 s = {} new "
                            "connections per source address",
                            with_commas(usable), format_rate(usable / 60.0))};
  f.why =
      "connect() without bind() draws its source port from this range; every connection to one "
      "destination needs a distinct port until its TIME_WAIT (60 s on Linux) ends, so the range "
      "size over 60 s is the sustainable connection rate per destination.";
  data = {{"range", {pool->low, pool->high}},
          {"reserved", in.facts.sysctl("net.ipv4.ip_local_reserved_ports").value_or("")},
          {"ports", pool->high - pool->low + 1},
          {"usable", usable},
          {"sustainable_rate", round_to(usable / 60.0, 2)},
          {"proposed", nullptr}};
  if (usable < kSmallRange) {
    f.severity = Severity::kWarning;
    f.title = fmt::format("the ephemeral range is small: {} usable ports", with_commas(usable));
    if (auto p = small_range_fix(in)) {
      // The same proposal as port-pressure's: it never gives up a port of today's range and
      // reserves the listeners inside the new one in the same change.
      f.sysctls = p->sysctls;
      f.evidence.push_back("proposed: " + p->summary() +
                           (p->reserved_listeners.empty()
                                ? ""
                                : fmt::format(", {} listening port(s) inside it reserved",
                                              p->reserved_listeners.size())));
      data["proposed"] = {{"range", {p->low, p->high}},
                          {"usable", p->usable_after},
                          {"reserved_listeners", p->reserved_listeners},
                          {"apply", p->apply}};
      if (!p->listeners_known)
        f.evidence.push_back(
            "no sockets read: listening ports inside the new range are not known, so the change "
            "is left to a person");
      else if (!p->apply)
        f.evidence.push_back(
            "beyond the kernel's default range: a service that is not running now may need a "
            "port in it, so the change is left to a person");
    } else {
      // No wider range adds ports: the reservations take them.
      f.evidence.push_back(fmt::format(
          "ip_local_reserved_ports takes {} of the range's {} ports; no wider range is proposed",
          with_commas(pool->high - pool->low + 1 - usable),
          with_commas(pool->high - pool->low + 1)));
      f.application = {
          "Review net.ipv4.ip_local_reserved_ports: reserve the ports services listen on, not "
          "whole blocks of the range."};
    }
    f.dont = {
        "Do not widen the range down into ports your services listen on without reserving "
        "them (net.ipv4.ip_local_reserved_ports) in the same change.",
        "Do not move the range to one with fewer usable ports after the reservations."};
  } else {
    f.severity = Severity::kOk;
    f.title = fmt::format("ephemeral range {}-{}: {} usable ports", pool->low, pool->high,
                          with_commas(usable));
  }
  if ((pool->low & 1) == (pool->high & 1)) {
    f.evidence.push_back(
        "both ends have the same parity: the kernel warns \"prefer different "
        "parity for start/end values\"");
    if (f.severity == Severity::kOk) f.severity = Severity::kInfo;
  }
  return {with_data(std::move(f), data)};
}

}  // namespace tw
