// SPDX-License-Identifier: Apache-2.0
// conntrack: its table fills with closed connections too (TIME_WAIT entries live
// nf_conntrack_tcp_timeout_time_wait, 120 s by default); when full, new connections are dropped.
#include <fmt/format.h>

#include "doctor/finding_json.h"
#include "doctor/rules.h"
#include "model/format.h"

namespace tw {

std::vector<Finding> rule_conntrack(const DoctorInput& in) {
  if (!in.is_linux_like()) return {};
  if (!in.has_sysctls()) return {not_checked("conntrack", "sysctls", {"conntrack"})};
  auto count = in.facts.sysctl_int("net.netfilter.nf_conntrack_count");
  auto max = in.facts.sysctl_int("net.netfilter.nf_conntrack_max");
  if (!count || !max)
    return {not_checked("conntrack", "conntrack (nf_conntrack not loaded)", {"conntrack"})};
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "conntrack";
  f.topics = {"conntrack"};
  f.sources = {"kernel Documentation/networking/nf_conntrack-sysctl.rst",
               "kernel log \"nf_conntrack: table full, dropping packet\""};
  double pct = *max > 0 ? 100.0 * *count / *max : 0;
  f.evidence.push_back(fmt::format("nf_conntrack_count {} of nf_conntrack_max {} ({})",
                                   with_commas(*count), with_commas(*max), format_percent(pct)));
  data = {
      {"nf_conntrack_count", *count}, {"nf_conntrack_max", *max}, {"percent", round_to(pct, 1)}};
  data["nf_conntrack_tcp_timeout_time_wait"] =
      value_or_null(in.facts.sysctl_int("net.netfilter.nf_conntrack_tcp_timeout_time_wait"));
  if (auto tw = in.facts.sysctl_int("net.netfilter.nf_conntrack_tcp_timeout_time_wait"))
    f.evidence.push_back(
        fmt::format("nf_conntrack_tcp_timeout_time_wait = {} s (default 120)", *tw));
  f.why =
      "Every tracked connection holds a conntrack entry, also after it closes (TIME_WAIT entries "
      "live nf_conntrack_tcp_timeout_time_wait, 120 s by default). When the table is full the "
      "kernel drops new connections' packets (\"nf_conntrack: table full, dropping packet\").";
  if (pct >= 75) {
    f.severity = pct >= 90 ? Severity::kCritical : Severity::kWarning;
    f.title = fmt::format("conntrack table {} full ({} of {})", format_percent(pct),
                          with_commas(*count), with_commas(*max));
    // The limit is host-wide (read-only in other namespaces): a person raises it on the host.
    f.sysctls = {
        {"net.netfilter.nf_conntrack_max", fmt::format("{}", *max * 2), in.facts.netns == "host"}};
    f.application = {
        "Fewer short connections (keep-alive, pools) shrink the table as much as "
        "raising the limit; exempt busy local traffic with an nftables `notrack` rule "
        "where it needs no NAT or state."};
  } else {
    f.severity = Severity::kOk;
    f.title = fmt::format("conntrack table {} full", format_percent(pct));
  }
  f.dont = {
      "Do not lower nf_conntrack_tcp_timeout_time_wait below 60 s (Linux's own TIME_WAIT): "
      "late segments of a closed connection then meet no entry."};
  return {with_data(std::move(f), data)};
}

}  // namespace tw
