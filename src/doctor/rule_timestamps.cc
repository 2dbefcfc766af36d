// SPDX-License-Identifier: Apache-2.0
// tcp_timestamps: without them PAWS cannot protect a connection and tcp_tw_reuse cannot work.
#include <fmt/format.h>

#include "doctor/finding_json.h"
#include "doctor/rules.h"

namespace tw {

std::vector<Finding> rule_timestamps(const DoctorInput& in) {
  if (!in.is_linux_like()) return {};
  constexpr const char* kName = "net.ipv4.tcp_timestamps";
  if (!in.has_sysctls()) return {not_checked("tcp-timestamps", "sysctls", {"tcp_timestamps"})};
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "tcp-timestamps";
  f.topics = {"tcp_timestamps", "tcp_tw_reuse"};
  f.sources = {
      "RFC 7323 (TCP timestamps, PAWS)",
      "kernel tcp_twsk_unique(): tcp_tw_reuse needs tw_ts_recent_stamp",
      "kernel commit 95a22caee396 (Linux 4.10): random offsets (value 1), per connection",
      "kernel commit 28ee1b746f49 (Linux 4.11): one offset per address pair; newer kernels "
      "hash the ports in again (secure_tcp_seq_and_ts_off)"};
  auto v = in.facts.sysctl_int(kName);
  if (!v) {
    f.severity = Severity::kInfo;
    f.title = "tcp_timestamps was not captured";
    return {with_data(std::move(f), data)};
  }
  f.evidence = {fmt::format("{} = {}", kName, *v)};
  data = {{kName, *v}};
  if (*v != 0) {
    f.severity = Severity::kOk;
    f.title = fmt::format("TCP timestamps are on ({})",
                          *v == 1 ? "with random offsets" : "without offsets");
    return {with_data(std::move(f), data)};
  }
  f.severity = Severity::kWarning;
  f.title = "TCP timestamps are off: PAWS and tcp_tw_reuse cannot work";
  f.why =
      "Timestamps (RFC 7323) let PAWS reject old duplicate segments, and tcp_tw_reuse relies on "
      "them to take a TIME_WAIT socket's port safely (tcp_twsk_unique checks the TIME_WAIT "
      "socket's last timestamp). With tcp_timestamps=0, tcp_tw_reuse does nothing and long fast "
      "transfers lose PAWS protection against wrapped sequence numbers.";
  f.sysctls = {{kName, "1", true}};
  f.dont = {
      "Do not turn timestamps off to hide the uptime or to save 12 bytes per segment: "
      "since Linux 4.10 they carry a random offset (per address pair or per connection)."};
  return {with_data(std::move(f), data)};
}

}  // namespace tw
