// SPDX-License-Identifier: Apache-2.0
// tcp_tw_recycle: on kernels before 4.12 it dropped SYNs from clients behind NAT; since 4.12 it is
// gone, and advice to set it is obsolete.
#include <fmt/format.h>

#include "doctor/finding_json.h"
#include "doctor/rules.h"

namespace tw {

namespace {
constexpr const char* kRecycleId = "tcp-tw-recycle";
constexpr const char* kRecycleSysctl = "net.ipv4.tcp_tw_recycle";
const std::vector<std::string> kRecycleSources = {
    "kernel commit 4396e46187ca (Linux 4.12): tcp_tw_recycle removed",
    "kernel commit 95a22caee396 (Linux 4.10): random timestamp offsets (per address pair since "
    "4.11, 28ee1b746f49)",
    "RFC 7323 (timestamps, PAWS)"};
}  // namespace

std::vector<Finding> rule_tw_recycle(const DoctorInput& in) {
  if (!in.is_linux_like()) return {};
  if (!in.has_sysctls()) return {not_checked(kRecycleId, "sysctls", {"tcp_tw_recycle"})};
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = kRecycleId;
  f.sources = kRecycleSources;
  f.topics = {"tcp_tw_recycle"};
  auto v = in.facts.sysctl_int(kRecycleSysctl);
  data = {{kRecycleSysctl, value_or_null(v)}};
  if (!v) {
    f.severity = Severity::kOk;
    f.title = "tcp_tw_recycle does not exist on this kernel (removed in Linux 4.12)";
    f.evidence = {fmt::format("{} absent (kernel {})", kRecycleSysctl,
                              in.facts.kernel.empty() ? "unknown" : in.facts.kernel)};
    f.why =
        "tcp_tw_recycle was removed in Linux 4.12 (commit 4396e46187ca): it dropped SYNs whose "
        "timestamp was not newer than the last one seen from the same address, which broke clients "
        "behind NAT. Advice to set it is obsolete; `sysctl -w` of it fails here.";
    f.dont = {
        "Do not copy tuning guides that set net.ipv4.tcp_tw_recycle: the key no longer "
        "exists and `sysctl -p` reports an error for it."};
    return {with_data(std::move(f), data)};
  }
  f.evidence = {fmt::format("{} = {}", kRecycleSysctl, *v)};
  if (*v == 0) {
    f.severity = Severity::kOk;
    f.title = "tcp_tw_recycle is off (kernel older than 4.12); keep it off";
    f.why =
        "On kernels before 4.12 tcp_tw_recycle dropped SYNs from a host whose timestamp was not "
        "newer than the last seen from that address (per-host PAWS), which breaks clients behind "
        "NAT; it was removed in 4.12.";
    f.dont = {"Never set net.ipv4.tcp_tw_recycle=1."};
    return {with_data(std::move(f), data)};
  }
  f.severity = Severity::kCritical;
  f.title = "tcp_tw_recycle is on: SYNs from clients behind NAT are silently dropped";
  f.why =
      "With tcp_tw_recycle=1 the kernel remembers the last timestamp per remote address and drops "
      "SYNs whose timestamp is older (per-host PAWS). Clients behind one NAT have unrelated "
      "clocks, "
      "and 4.10 gave every connection a random timestamp offset (one per address pair since "
      "4.11), so their connections fail intermittently; the option was removed in 4.12.";
  f.sysctls = {{kRecycleSysctl, "0", true}};
  f.application = {
      "If it was set to fight TIME_WAIT, see the port-pressure finding: reuse connections "
      "(keep-alive, pools) first; net.ipv4.tcp_tw_reuse=1, for outgoing connections only, is the "
      "last "
      "of its fixes."};
  f.dont = {"Never set net.ipv4.tcp_tw_recycle=1, on any kernel."};
  return {with_data(std::move(f), data)};
}

}  // namespace tw
