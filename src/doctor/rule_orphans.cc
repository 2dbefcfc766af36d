// SPDX-License-Identifier: Apache-2.0
// Orphaned sockets (closed by the application, still finishing the close) and FIN_WAIT build-up.
#include <fmt/format.h>

#include "doctor/finding_json.h"
#include "doctor/rules.h"
#include "model/format.h"

namespace tw {

namespace {
constexpr double kOrphansWarnShare = 0.5;
constexpr int64_t kOrphansWarnClosing = 5000;
}  // namespace

std::vector<Finding> rule_orphans(const DoctorInput& in) {
  if (!in.is_linux_like()) return {};
  if (!in.sockets && !in.facts.sockstat)
    return {not_checked("orphans", "sockets or sockstat", {"states", "tcp_fin_timeout"})};
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "orphans";
  f.topics = {"states", "tcp_fin_timeout"};
  f.sources = {"RFC 793 section 3.5 (closing states)",
               "kernel Documentation/networking/ip-sysctl.rst: tcp_max_orphans, "
               "tcp_orphan_retries, tcp_fin_timeout"};
  auto max_orphans = in.facts.sysctl_int("net.ipv4.tcp_max_orphans");
  std::optional<int64_t> orphans;
  if (in.facts.sockstat) orphans = in.facts.sockstat->orphan;
  if (orphans)
    f.evidence.push_back(fmt::format(
        "orphaned sockets (sockstat, host-wide): {}{}", with_commas(*orphans),
        max_orphans ? fmt::format(" of tcp_max_orphans {}", with_commas(*max_orphans)) : ""));
  int64_t closing = 0;
  if (in.sockets) {
    int64_t fw1 = in.sockets->count(TcpState::kFinWait1),
            fw2 = in.sockets->count(TcpState::kFinWait2),
            cl = in.sockets->count(TcpState::kClosing), la = in.sockets->count(TcpState::kLastAck);
    closing = fw1 + fw2 + cl + la;
    f.evidence.push_back(
        fmt::format("FIN-WAIT-1 {}, FIN-WAIT-2 {} ({} orphaned mini-sockets), "
                    "CLOSING {}, LAST-ACK {}",
                    with_commas(fw1), with_commas(fw2), with_commas(in.sockets->fin_wait2_mini()),
                    with_commas(cl), with_commas(la)));
  }
  data = {{"orphans", value_or_null(orphans)},
          {"net.ipv4.tcp_max_orphans", value_or_null(max_orphans)},
          {"closing", in.sockets ? nlohmann::json(closing) : nlohmann::json(nullptr)}};
  f.why =
      "After close() a socket finishes its shutdown as an orphan: FIN_WAIT1 waits for the peer to "
      "ACK our FIN (a peer that stopped reading keeps it there, retried tcp_orphan_retries times), "
      "FIN_WAIT2 for the peer's FIN (tcp_fin_timeout). Past tcp_max_orphans the kernel resets "
      "orphans and logs \"too many orphaned sockets\".";
  if (orphans && max_orphans && *max_orphans > 0 && *orphans >= kOrphansWarnShare * *max_orphans) {
    f.severity = Severity::kWarning;
    f.title = fmt::format("{} orphaned sockets, {} of tcp_max_orphans", with_commas(*orphans),
                          format_percent(100.0 * *orphans / *max_orphans));
  } else if (closing >= kOrphansWarnClosing) {
    f.severity = Severity::kWarning;
    f.title = fmt::format("{} sockets in closing states (FIN-WAIT, CLOSING, LAST-ACK)",
                          with_commas(closing));
  } else if (closing > 0) {
    f.severity = Severity::kInfo;
    f.title = fmt::format("{} sockets finishing their close (FIN-WAIT, CLOSING, LAST-ACK)",
                          with_commas(closing));
  } else {
    f.severity = Severity::kOk;
    f.title = "no build-up of closing or orphaned sockets";
    return {with_data(std::move(f), data)};
  }
  f.application = {
      "FIN_WAIT1 build-up: peers that stop reading (slow or dead clients); set "
      "send timeouts and close idle clients earlier.",
      "FIN_WAIT2 build-up: peers that never close their side; the kernel drops "
      "orphans after tcp_fin_timeout."};
  f.dont = {
      "Do not lower tcp_fin_timeout expecting fewer TIME_WAIT: it only shortens orphaned "
      "FIN_WAIT2."};
  return {with_data(std::move(f), data)};
}

}  // namespace tw
