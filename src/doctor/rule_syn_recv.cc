// SPDX-License-Identifier: Apache-2.0
// SYN_RECV build-up and accept-queue overflows: backlog sizes, SYN flood protection.
#include <fmt/format.h>

#include <algorithm>

#include "doctor/finding_json.h"
#include "doctor/rules.h"
#include "model/format.h"

namespace tw {

std::vector<Finding> rule_syn_recv(const DoctorInput& in) {
  if (!in.is_linux_like()) return {};
  if (!in.has_sysctls()) return {not_checked("syn-recv", "sysctls", {"syn-backlog"})};
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "syn-recv";
  f.topics = {"syn-backlog"};
  f.sources = {"RFC 4987 (SYN flooding attacks and mitigations)",
               "kernel Documentation/networking/ip-sysctl.rst: tcp_max_syn_backlog, "
               "tcp_syncookies, somaxconn"};
  auto backlog = in.facts.sysctl_int("net.ipv4.tcp_max_syn_backlog");
  auto cookies = in.facts.sysctl_int("net.ipv4.tcp_syncookies");
  auto somaxconn = in.facts.sysctl_int("net.core.somaxconn");
  int64_t syn_recv = in.sockets ? in.sockets->count(TcpState::kSynRecv) : 0;
  if (in.sockets) f.evidence.push_back(fmt::format("SYN-RECV sockets: {}", with_commas(syn_recv)));
  data = {{"syn_recv", in.sockets ? nlohmann::json(syn_recv) : nlohmann::json(nullptr)},
          {"net.ipv4.tcp_max_syn_backlog", value_or_null(backlog)},
          {"net.core.somaxconn", value_or_null(somaxconn)},
          {"net.ipv4.tcp_syncookies", value_or_null(cookies)},
          {"ListenOverflows", value_or_null(in.counter("ListenOverflows"))},
          {"ListenOverflows_delta", value_or_null(in.counter_delta("ListenOverflows"))}};
  f.evidence.push_back(fmt::format("tcp_max_syn_backlog = {}, somaxconn = {}, tcp_syncookies = {}",
                                   backlog ? fmt::format("{}", *backlog) : "?",
                                   somaxconn ? fmt::format("{}", *somaxconn) : "?",
                                   cookies ? fmt::format("{}", *cookies) : "?"));
  for (const char* c : {"ListenOverflows", "ListenDrops", "TCPReqQFullDrop", "SyncookiesSent"})
    if (auto line = in.counter_evidence(c, fmt::format("TcpExt {}", c)))
      f.evidence.push_back(*line);
  f.why =
      "A SYN_RECV socket is a half-open connection waiting for the client's final ACK; the queue "
      "of them is bounded by the listen() backlog, somaxconn and tcp_max_syn_backlog. Under a SYN "
      "flood or a slow accept() loop the queues fill and new connections are dropped unless SYN "
      "cookies (tcp_syncookies=1, the default) answer without state.";
  auto overflow_now = in.counter_delta("ListenOverflows");
  if (cookies && *cookies == 0) {
    f.severity = Severity::kWarning;
    f.title = "SYN cookies are off: a SYN flood fills the SYN queue and drops real clients";
    f.sysctls = {{"net.ipv4.tcp_syncookies", "1", true}};
  } else if (backlog && *backlog > 0 && syn_recv >= *backlog / 2) {
    f.severity = Severity::kWarning;
    f.title =
        fmt::format("{} half-open connections (SYN-RECV), half of tcp_max_syn_backlog or more",
                    with_commas(syn_recv));
    f.application = {
        "If clients are real: raise the listen() backlog of the service (nginx "
        "`listen 80 backlog=4096;`) with somaxconn and tcp_max_syn_backlog.",
        "If it is a flood: SYN cookies (on by default) and filtering upstream."};
  } else if (overflow_now && *overflow_now > 0) {
    f.severity = Severity::kWarning;
    f.title = fmt::format("accept queues overflowing now: ListenOverflows +{} in {:.0f} s",
                          with_commas(*overflow_now), in.interval_seconds);
    f.application = {
        "The service does not accept() fast enough: more workers, or a larger "
        "listen() backlog (bounded by net.core.somaxconn)."};
  } else if (syn_recv > 0) {
    f.severity = Severity::kInfo;
    f.title = fmt::format("{} half-open connections (SYN-RECV)", with_commas(syn_recv));
  } else {
    f.severity = Severity::kOk;
    f.title = "no SYN-RECV build-up; SYN cookies on";
  }
  f.dont = {"Do not confuse SYN_RECV with TIME_WAIT tuning: tcp_tw_* settings do not affect it."};
  return {with_data(std::move(f), data)};
}

}  // namespace tw
