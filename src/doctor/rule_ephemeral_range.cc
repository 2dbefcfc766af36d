// The ephemeral port range: its size (the denominator of every tuple's port pressure) and its
// ends' parity (connect() prefers even ports since 07f4c90062f8).
#include <fmt/format.h>

#include "census/report.h"
#include "doctor/rules.h"

namespace tw {

namespace {
// Smaller than Windows' 16,384-port default is small for a busy client.
constexpr int kSmallRange = 16384;
}  // namespace

std::vector<Finding> rule_ephemeral_range(const DoctorInput& in) {
  if (!in.is_linux_like()) return {};
  constexpr const char* kName = "net.ipv4.ip_local_port_range";
  if (!in.facts.sysctl(kName))
    return {
        not_checked("ephemeral-range", "net.ipv4.ip_local_port_range", {"ip_local_port_range"})};
  Finding f;
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
    return {f};
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
  if (usable < kSmallRange) {
    f.severity = Severity::kWarning;
    f.title = fmt::format("the ephemeral range is small: {} usable ports", with_commas(usable));
    f.sysctls = {{kName, "32768 60999", true}};
    f.dont = {
        "Do not widen the range down into ports your services listen on without reserving "
        "them (net.ipv4.ip_local_reserved_ports)."};
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
  return {f};
}

}  // namespace tw
